"""Per-caller request limits in the app, on top of the API Gateway stage's throttling.

The stage throttles all traffic together; these limits stop one caller from using it all:
each customer (by address) and each client IP on the public routes gets a budget per fixed
one-minute window, counted in the tickets table (:class:`tessera.ports.RateCounters`: one
conditional UpdateItem per request). Over budget: :class:`RateLimited` (HTTP 429) with the
seconds until the window ends (``Retry-After``). Staff are not limited here.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tessera.errors import TesseraError
from tessera.identity.access import Principal
from tessera.ports import Dependencies

WINDOW_SECONDS = 60
PER_IP = 300  # requests per window from one client address to the public routes
PER_CUSTOMER = 300  # requests per window from one signed-in customer


class RateLimited(TesseraError):
    """Too many requests from one caller; ``retry_after`` seconds until the next window."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def check(
    deps: Dependencies,
    *,
    principal: Principal | None,
    source_ip: str | None,
    clock: Callable[[], float] = time.time,
) -> None:
    """Count this request against its caller's budget; RateLimited when it is spent.
    Public requests count per IP; customers' requests per customer; staff's not at all."""
    if principal is None:
        if not source_ip:
            return
        key, limit = f"ip:{source_ip}", PER_IP
    elif principal.is_staff:
        return
    else:
        key, limit = f"customer:{principal.email}", PER_CUSTOMER
    now = int(clock())
    window_start = now - now % WINDOW_SECONDS
    if not deps.rate_counters().take(
        key, window_start=window_start, window_seconds=WINDOW_SECONDS, limit=limit
    ):
        retry_after = max(1, window_start + WINDOW_SECONDS - now)
        raise RateLimited(f"too many requests; retry in {retry_after} s", retry_after)

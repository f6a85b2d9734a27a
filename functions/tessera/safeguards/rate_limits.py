"""Per-caller limits in the app, on top of the API Gateway stage's throttling.

The stage throttles all traffic together; these limits stop one caller from using it all:
each customer (by address) and each client IP on the public routes gets a budget per fixed
one-minute window, counted in the tickets table (:class:`tessera.ports.RateCounters`: one
conditional UpdateItem per request). Over budget: :class:`RateLimited` (HTTP 429) with the
seconds until the window ends (``Retry-After``). Staff are not limited here.

Two budgets are per address, apart from the per-IP one, so neither a flood at one victim nor
one IP's abuse locks everyone else out: sign-in links mailed to an address
(:data:`MAGIC_LINKS_PER_ADDRESS`; over it no mail is sent, and the answer stays the same) and
staff sign-in attempts that failed for an address (:data:`FAILED_SIGN_INS_PER_ADDRESS`; at it,
every attempt is refused with 429 until the window ends).
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
MAGIC_LINKS_PER_ADDRESS = 5  # sign-in mails to one address per quarter of an hour
FAILED_SIGN_INS_PER_ADDRESS = 10  # wrong passwords for one staff address per quarter of an hour
ADDRESS_WINDOW_SECONDS = 15 * 60


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
    refuse_over(deps, key, limit=limit, window_seconds=WINDOW_SECONDS, clock=clock)


def allows(
    deps: Dependencies,
    key: str,
    *,
    limit: int,
    window_seconds: int,
    clock: Callable[[], float] = time.time,
) -> bool:
    """Count one use of ``key`` in its current window; False (nothing counted) when ``limit``
    were counted in it already."""
    return _retry_after(deps, key, limit, window_seconds, clock) is None


def refuse_over(
    deps: Dependencies,
    key: str,
    *,
    limit: int,
    window_seconds: int,
    clock: Callable[[], float] = time.time,
) -> None:
    """Count one use of ``key``; RateLimited, with the seconds until the window ends, when the
    window's ``limit`` was reached."""
    retry_after = _retry_after(deps, key, limit, window_seconds, clock)
    if retry_after is not None:
        raise RateLimited(f"too many requests; retry in {retry_after} s", retry_after)


def _retry_after(
    deps: Dependencies, key: str, limit: int, window_seconds: int, clock: Callable[[], float]
) -> int | None:
    now = int(clock())
    window_start = now - now % window_seconds
    if deps.rate_counters().take(
        key, window_start=window_start, window_seconds=window_seconds, limit=limit
    ):
        return None
    return max(1, window_start + window_seconds - now)


def refuse_when_reached(
    deps: Dependencies,
    key: str,
    *,
    limit: int,
    window_seconds: int,
    clock: Callable[[], float] = time.time,
) -> None:
    """RateLimited if ``limit`` uses of ``key`` were counted in the current window already
    (counting nothing: :func:`allows` counts, for instance when an attempt failed)."""
    now = int(clock())
    window_start = now - now % window_seconds
    if deps.rate_counters().count(key, window_start=window_start) >= limit:
        retry_after = max(1, window_start + window_seconds - now)
        raise RateLimited(f"too many failed attempts; retry in {retry_after} s", retry_after)

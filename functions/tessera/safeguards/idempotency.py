"""Idempotency keys on the POSTs that create (tickets, replies).

A client that did not hear the answer retries with the same ``Idempotency-Key`` header and gets
the same resource, not a second one. The key is claimed in the nonce store
(:class:`tessera.ports.Nonces`) for 24 hours, scoped to the caller and the route, with a
fingerprint of the request body; once the create succeeds its value is the created id.

- first use: the create runs, and the key remembers ``<fingerprint> <created id>``;
- a repeat with the same body: the remembered id, and the route answers as it did (201);
- a repeat with another body: :class:`KeyReused` (409), nothing created;
- a repeat while the first is still running: :class:`Conflict` (409), retry later;
- a create that fails releases the key, so the client's retry runs it again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from tessera.errors import Conflict, ValidationFailed
from tessera.identity.access import Principal
from tessera.ports import Dependencies

TTL_SECONDS = 24 * 3600
HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")  # printable ASCII, no spaces (as Stripe's keys)


class KeyReused(Conflict):
    """The same idempotency key came with a different request."""


def fingerprint(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def once(
    deps: Dependencies,
    principal: Principal,
    key: str | None,
    *,
    scope: str,
    body: Any,
    create: Callable[[], str],
) -> tuple[str, bool]:
    """``(created id, replayed)``: runs ``create`` (which returns the id it created) unless
    this caller already did under ``key`` in ``scope``. Without a key it simply runs."""
    if key is None:
        return create(), False
    if not _KEY.match(key):
        raise ValidationFailed(HEADER, "must be 1 to 128 printable ASCII characters")
    nonce = f"idem:{principal.email}:{scope}:{hashlib.sha256(key.encode()).hexdigest()}"
    mark = fingerprint(body)
    nonces = deps.nonces()
    earlier = nonces.claim(nonce, ttl_seconds=TTL_SECONDS, value=mark)
    if earlier is not None:
        earlier_mark, _, created = earlier.partition(" ")
        if earlier_mark != mark:
            raise KeyReused(f"{HEADER} was used with another request body")
        if not created:
            raise Conflict(f"a request with this {HEADER} is still in progress; retry later")
        return created, True
    try:
        created = create()
    except BaseException:
        nonces.settle(nonce, ttl_seconds=0, value="")
        raise
    nonces.settle(nonce, ttl_seconds=TTL_SECONDS, value=f"{mark} {created}")
    return created, False

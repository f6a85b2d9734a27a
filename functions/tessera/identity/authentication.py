"""Which kind of caller a bearer token names: staff present the user pool's ID token (a JWT,
three dot-separated parts); customers present a Tessera session token (two parts)."""

from __future__ import annotations

from tessera.errors import Unauthorized
from tessera.identity import customers
from tessera.identity.access import Principal
from tessera.ports import Dependencies


def authenticate(deps: Dependencies, token: str) -> Principal:
    """The principal ``token`` names. Unauthorized for a missing or invalid token."""
    token = token.strip()
    if not token:
        raise Unauthorized("a bearer token is required")
    if token.count(".") == 2:
        return deps.staff_directory().verify(token)
    return customers.customer_from_session(deps.signer(), token)

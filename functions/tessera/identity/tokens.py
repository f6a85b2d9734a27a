"""Signed, expiring, purpose-bound tokens: thread tokens in outbound mail, signed ticket links,
magic sign-in links.

A token is ``<payload>.<signature>``, both URL-safe base64 without padding. The payload is JSON
with the purpose (``p``), the subject (``s``, e.g. a ticket id or an email address), the expiry
(``e``, Unix seconds) and optional extra claims. The signature is HMAC-SHA256 over the purpose
and the payload with the deployment's signing key, so a token made for one purpose never verifies
for another. Short and copy-paste safe, so it survives mail clients and forwarding.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tessera.errors import Unauthorized


class InvalidToken(Unauthorized):
    """The token is malformed, forged, for another purpose, or expired."""


@dataclass(frozen=True)
class Claims:
    purpose: str
    subject: str
    expires: int
    extra: Mapping[str, Any]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("a signing key needs at least 32 bytes")
        self._key = key

    def _signature(self, purpose: str, payload: str) -> str:
        digest = hmac.new(self._key, f"{purpose}\n{payload}".encode(), hashlib.sha256).digest()
        return _b64(digest[:24])

    def sign(
        self,
        purpose: str,
        subject: str,
        *,
        ttl_seconds: int,
        now: float | None = None,
        **extra: Any,
    ) -> str:
        expires = int((time.time() if now is None else now) + ttl_seconds)
        body = {"p": purpose, "s": subject, "e": expires, **({"x": extra} if extra else {})}
        payload = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
        return f"{payload}.{self._signature(purpose, payload)}"

    def verify(self, token: str, purpose: str, *, now: float | None = None) -> Claims:
        """The token's claims; raises InvalidToken for anything but a valid, unexpired token
        signed for ``purpose``."""
        payload, dot, signature = token.strip().partition(".")
        if not dot or not payload or not signature:
            raise InvalidToken("malformed token")
        expected = self._signature(purpose, payload).encode()
        if not hmac.compare_digest(signature.encode("utf-8", "replace"), expected):
            raise InvalidToken("bad signature, or a token for another purpose")
        try:
            body = json.loads(_unb64(payload))
            claims = Claims(str(body["p"]), str(body["s"]), int(body["e"]), body.get("x", {}))
        except (ValueError, KeyError, TypeError):
            raise InvalidToken("malformed token") from None
        if claims.purpose != purpose:
            raise InvalidToken("a token for another purpose")
        if claims.expires < (time.time() if now is None else now):
            raise InvalidToken("expired token")
        return claims

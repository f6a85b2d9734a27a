"""The one Chalice app and the ``@endpoint`` decorator bound to it: how callers are
authenticated (tessera.identity.authentication) and counted (tessera.safeguards.rate_limits).
Route modules (``api/routes/``) declare their endpoints with :data:`endpoint`; ``api/app.py``
imports them all. Also the few request shapes routes of several areas share."""

from __future__ import annotations

import threading
from typing import Any

from chalice.app import Chalice, Request, Response

from api import schemas
from api.endpoints import Call, make_endpoint_decorator
from tessera import bootstrap
from tessera.errors import Unauthorized, ValidationFailed
from tessera.identity.access import Principal
from tessera.identity.authentication import authenticate
from tessera.safeguards import idempotency, rate_limits


class _OneRequestPerThread(Chalice):
    """Chalice keeps the request being served on the app object (``app.current_request``),
    which is right where a process serves one request at a time, as a Lambda container does.
    The local stack runs the function in one process for every concurrent request: there each
    request would read whichever request came last — another caller's query, body, even token.
    Here the request (and the Lambda context) is the calling thread's own."""

    _serving = threading.local()

    @property
    def current_request(self) -> Request | None:
        return getattr(self._serving, "request", None)

    @current_request.setter
    def current_request(self, request: Request | None) -> None:
        self._serving.request = request

    @property
    def lambda_context(self) -> Any:
        return getattr(self._serving, "context", None)

    @lambda_context.setter
    def lambda_context(self, context: Any) -> None:
        self._serving.context = context


# Chalice's own log handler would sit on the "tessera" logger that the powertools Logger
# (tessera.observability, same service name) owns; created first, it left the Logger with a
# plain Formatter and setting every request's correlation id failed. The Logger alone configures it.
app = _OneRequestPerThread(app_name="tessera", configure_logs=False)


def _authenticate(request: Request) -> Principal:
    header = str(request.headers.get("authorization") or "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("a bearer token is required")
    return authenticate(bootstrap.dependencies(), token)


def _throttle(request: Request, principal: Principal | None) -> None:
    """Per-customer and per-IP budgets on public and customer routes."""
    identity = (request.context or {}).get("identity") or {}
    source_ip = identity.get("sourceIp")
    rate_limits.check(
        bootstrap.dependencies(),
        principal=principal,
        source_ip=str(source_ip) if source_ip else None,
    )


endpoint = make_endpoint_decorator(app, _authenticate, _throttle)

TICKET_PATH = {"ticket_id": schemas.TICKET_ID}
IF_MATCH = {"If-Match": {"type": "string", "description": 'The ticket version, e.g. "3"'}}
IDEMPOTENCY_KEY = {
    idempotency.HEADER: {
        "type": "string",
        "description": (
            "Any unique string (a UUID): a repeat within 24 hours answers with what the first "
            "request created, instead of creating again; with another body it is a 409"
        ),
    }
}


def expected_version(call: Call, what: str = "a ticket version") -> int | None:
    """The version an ``If-Match`` header names (``"3"``, ``W/"3"``), or None without one."""
    raw = call.header("if-match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise ValidationFailed("If-Match", f'must be {what} such as "3"')
    return int(value)


def with_etag(body: dict[str, Any], status: int = 200, *, version: int | None = None) -> Response:
    """``body`` with the version it is at as its ETag (``body["version"]`` unless given)."""
    tag = body["version"] if version is None else version
    return Response(body=body, status_code=status, headers={"ETag": f'"{tag}"'})

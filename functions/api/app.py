"""The HTTP API behind API Gateway (and behind the local stack's HTTP port).

Routes are declared twice on purpose: here, and as events of ApiFunction in template.yaml, which
is what API Gateway serves; tests/unit/test_api_routes.py keeps the two lists equal. Handlers
parse the request, call a use case, and shape the response; domain errors become HTTP statuses in
:func:`error_response`, the one place that does so.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, ChaliceViewError, Request, Response

from api.schemas import LoginBody, page_params, thread_json, ticket_json
from tessera import bootstrap, queries
from tessera.access import Principal, require_staff
from tessera.errors import (
    Conflict,
    Forbidden,
    NotFound,
    TesseraError,
    Unauthorized,
    ValidationFailed,
)

app = Chalice(app_name="tessera")
View = Callable[..., Any]

_STATUS = (
    (ValidationFailed, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
)


def error_response(error: Exception) -> Response:
    """Domain errors (and Chalice's own request errors) as statuses, in one JSON shape:
    ``{"error": {"code", "message", "field"?}}``."""
    if isinstance(error, ChaliceViewError):
        status = error.STATUS_CODE
    else:
        status = next((code for kind, code in _STATUS if isinstance(error, kind)), 500)
    body: dict[str, Any] = {"code": type(error).__name__, "message": str(error)}
    if isinstance(error, ValidationFailed):
        body["field"], body["message"] = error.field, error.problem
    headers: dict[str, str | list[str]] = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return Response(body={"error": body}, status_code=status, headers=headers)


def endpoint(path: str, *, methods: list[str]) -> Callable[[View], View]:
    """Register a route whose domain errors become HTTP responses (Chalice turns any exception
    a view raises into a bare 500 before middleware sees it, so the mapping wraps each view)."""

    def register(view: View) -> View:
        @functools.wraps(view)
        def guarded(**params: Any) -> Any:
            try:
                return view(**params)
            except (TesseraError, ChaliceViewError) as error:
                return error_response(error)

        app.route(path, methods=methods)(guarded)
        return view

    return register


def _request() -> Request:
    request = app.current_request
    assert request is not None, "Chalice sets the request before calling a view"
    return request


def _principal() -> Principal:
    from tessera.adapters import cognito

    header = str(_request().headers.get("authorization") or "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("a bearer token is required")
    return cognito.verify(token.strip())


@endpoint("/api/health", methods=["GET"])
def health() -> dict[str, Any]:
    return {"status": "ok", "service": "tessera"}


@endpoint("/api/auth/login", methods=["POST"])
def login() -> dict[str, Any]:
    from tessera.adapters import cognito

    body = LoginBody.parse(_request().json_body)
    return {"token": cognito.login(body.email, body.password)}


@endpoint("/api/tickets", methods=["GET"])
def list_tickets() -> dict[str, Any]:
    require_staff(_principal())
    limit, cursor = page_params(_request().query_params or {})
    page = queries.list_tickets(bootstrap.dependencies(), limit=limit, cursor=cursor)
    return {"items": [ticket_json(t) for t in page.items], "cursor": page.cursor}


@endpoint("/api/tickets/{ticket_id}", methods=["GET"])
def get_ticket(ticket_id: str) -> dict[str, Any]:
    require_staff(_principal())
    return thread_json(queries.ticket_thread(bootstrap.dependencies(), ticket_id))

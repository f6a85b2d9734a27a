"""The HTTP API behind API Gateway (and behind the local stack's HTTP port).

Routes are declared twice on purpose: here, and as events of ApiFunction in template.yaml, which
is what API Gateway serves; tests/unit/test_api_routes.py keeps the two lists equal. Each view
parses nothing itself: :func:`api.endpoints.make_endpoint_decorator` authenticates, validates
and maps errors; the view calls a use case and shapes the response.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice, Request, Response

from api import schemas
from api.endpoints import ADMINS, CUSTOMERS, PUBLIC, STAFF, Call
from api.endpoints import make_endpoint_decorator as _make_endpoint_decorator
from tessera import (
    admin,
    attachments,
    bootstrap,
    conversation,
    idempotency,
    queries,
    rate_limits,
    settings,
    sign_in,
)
from tessera.access import Principal
from tessera.errors import Unauthorized, ValidationFailed
from tessera.tickets import Ticket

app = Chalice(app_name="tessera")


def authenticate(request: Request) -> Principal:
    """Staff present a Cognito ID token (a JWT: three dot-separated parts); customers present
    a Tessera session token (two parts)."""
    header = str(request.headers.get("authorization") or "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("a bearer token is required")
    if token.count(".") == 2:
        from tessera.adapters import cognito

        return cognito.verify(token)
    return sign_in.customer_from_session(bootstrap.signer(), token)


def throttle(request: Request, principal: Principal | None) -> None:
    """Per-customer and per-IP budgets (tessera.rate_limits) on public and customer routes."""
    identity = (request.context or {}).get("identity") or {}
    source_ip = identity.get("sourceIp")
    rate_limits.check(
        bootstrap.dependencies(),
        principal=principal,
        source_ip=str(source_ip) if source_ip else None,
    )


endpoint = _make_endpoint_decorator(app, authenticate, throttle)
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


def _expected_version(call: Call) -> int | None:
    raw = call.header("if-match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise ValidationFailed("If-Match", 'must be a ticket version such as "3"')
    return int(value)


def _with_etag(body: dict[str, Any], status: int = 200) -> Response:
    return Response(body=body, status_code=status, headers={"ETag": f'"{body["version"]}"'})


# ------------------------------------------------------------------------------ everyone
@endpoint(
    "GET",
    "/api/health",
    roles=PUBLIC,
    tag="meta",
    summary="Liveness",
    throttled=False,
    responses={200: schemas.HEALTH},
)
def health(call: Call) -> dict[str, Any]:
    return {"status": "ok", "service": "tessera"}


@endpoint(
    "GET",
    "/api/openapi.json",
    roles=PUBLIC,
    tag="meta",
    summary="This API's OpenAPI 3.1 document",
    throttled=False,
    responses={200: {"type": "object"}},
)
def openapi(call: Call) -> dict[str, Any]:
    from api.openapi import document

    return document()


# ------------------------------------------------------------------------------ sign-in
@endpoint(
    "POST",
    "/api/auth/login",
    roles=PUBLIC,
    tag="auth",
    body=schemas.LOGIN,
    summary="Agents and admins: email and password for an ID token",
    errors=frozenset({401}),
    responses={200: schemas.TOKEN},
)
def login(call: Call) -> dict[str, Any]:
    from tessera.adapters import cognito

    return {"token": cognito.login(call.body["email"].strip().lower(), call.body["password"])}


@endpoint(
    "POST",
    "/api/auth/new-password",
    roles=PUBLIC,
    tag="auth",
    body=schemas.NEW_PASSWORD,
    summary=(
        "Agents and admins, first sign-in: trade the temporary password for your own "
        "(login answers 401 PasswordChangeRequired until then)"
    ),
    errors=frozenset({401}),
    responses={200: schemas.TOKEN},
)
def new_password(call: Call) -> dict[str, Any]:
    from tessera.adapters import cognito

    token = cognito.set_first_password(
        call.body["email"].strip().lower(), call.body["password"], call.body["new_password"]
    )
    return {"token": token}


@endpoint(
    "POST",
    "/api/auth/magic-link",
    roles=PUBLIC,
    tag="auth",
    body=schemas.MAGIC_LINK,
    summary="Customers: mail me a sign-in link (answers the same for any address)",
    responses={202: schemas.ACCEPTED},
)
def magic_link(call: Call) -> Response:
    sign_in.request_magic_link(
        bootstrap.dependencies(), call.body["email"], portal_url=settings.portal_base_url()
    )
    return Response(body={"status": "sent"}, status_code=202)


@endpoint(
    "POST",
    "/api/auth/session",
    roles=PUBLIC,
    tag="auth",
    body=schemas.TOKEN_EXCHANGE,
    summary="Customers: exchange a magic link's token for a session (single use)",
    errors=frozenset({401}),
    responses={200: schemas.TOKEN},
)
def session(call: Call) -> dict[str, Any]:
    token, _ = sign_in.exchange_magic_link(bootstrap.dependencies(), call.body["token"])
    return {"token": token}


@endpoint(
    "POST",
    "/api/auth/ticket-link",
    roles=PUBLIC,
    tag="auth",
    body=schemas.TOKEN_EXCHANGE,
    summary="Open the one ticket a mailed signed link names, without signing in",
    errors=frozenset({401}),
    responses={200: schemas.TOKEN},
)
def ticket_link(call: Call) -> dict[str, Any]:
    token, _ = sign_in.exchange_ticket_link(bootstrap.dependencies(), call.body["token"])
    return {"token": token}


# ------------------------------------------------------------------------------ tickets
@endpoint(
    "GET",
    "/api/tickets",
    roles=STAFF,
    tag="tickets",
    summary=(
        "Agents: a view of the tickets, newest first: all, mine, a group's queue, or its "
        "unassigned tickets; optionally one priority"
    ),
    query={
        "view": {
            "type": "string",
            "enum": ["all", "mine", "group", "unassigned"],
            "default": "all",
        },
        "group": schemas.NAME,
        "status": {**schemas.STATUS, "default": "open"},
        "priority": schemas.PRIORITY,
        "limit": schemas.LIMIT,
        "cursor": schemas.CURSOR,
    },
    responses={200: schemas.PAGE},
)
def list_tickets(call: Call) -> dict[str, Any]:
    q = call.query
    page = queries.view(
        bootstrap.dependencies(),
        call.caller,
        view=q["view"],
        group=q.get("group"),
        status=q["status"],
        priority=q.get("priority"),
        limit=q["limit"],
        cursor=q.get("cursor"),
    )
    return {"items": [schemas.ticket_json(t) for t in page.items], "cursor": page.cursor}


@endpoint(
    "GET",
    "/api/me/tickets",
    roles=CUSTOMERS,
    tag="tickets",
    summary="Customers: my tickets in one tab (open, awaiting my reply, closed)",
    query={
        "tab": {"type": "string", "enum": ["open", "awaiting", "closed"], "default": "open"},
        "limit": schemas.LIMIT,
        "cursor": schemas.CURSOR,
    },
    responses={200: schemas.PAGE},
)
def my_tickets(call: Call) -> dict[str, Any]:
    q = call.query
    page = queries.mine(
        bootstrap.dependencies(),
        call.caller,
        tab=q["tab"],
        limit=q["limit"],
        cursor=q.get("cursor"),
    )
    staff = call.caller.is_staff
    return {
        "items": [schemas.ticket_json(t, staff=staff) for t in page.items],
        "cursor": page.cursor,
    }


@endpoint(
    "POST",
    "/api/tickets",
    roles=CUSTOMERS,
    tag="tickets",
    body=schemas.NEW_TICKET,
    headers=IDEMPOTENCY_KEY,
    summary="Open a ticket (customers for themselves; staff for any requester)",
    responses={201: schemas.TICKET},
)
def create_ticket(call: Call) -> Response:
    b = call.body
    deps = bootstrap.dependencies()
    created: list[Ticket] = []

    def create() -> str:
        created.append(
            conversation.create_ticket(
                deps,
                call.caller,
                subject=b["subject"],
                body=b["body"],
                requester=b.get("requester"),
                priority=b.get("priority"),
                custom_fields=b.get("custom_fields"),
            )
        )
        return created[0].id

    ticket_id, replayed = idempotency.once(
        deps, call.caller, call.header(idempotency.HEADER), scope="tickets", body=b, create=create
    )
    ticket = created[0] if created else conversation.find_ticket(deps, call.caller, ticket_id)
    response = _with_etag(schemas.ticket_json(ticket, staff=call.caller.is_staff), 201)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@endpoint(
    "GET",
    "/api/tickets/{ticket_id}",
    roles=CUSTOMERS,
    tag="tickets",
    path_params=TICKET_PATH,
    summary="A ticket with its thread (by id or number); customers see the public part",
    responses={200: schemas.THREAD},
)
def get_ticket(call: Call, ticket_id: str) -> Response:
    thread = conversation.thread_for(bootstrap.dependencies(), call.caller, ticket_id)
    return _with_etag(schemas.thread_json(thread, staff=call.caller.is_staff))


@endpoint(
    "PATCH",
    "/api/tickets/{ticket_id}",
    roles=CUSTOMERS,
    tag="tickets",
    path_params=TICKET_PATH,
    body=schemas.TICKET_CHANGES,
    headers=IF_MATCH,
    summary="Change a ticket (staff: any field; customers: mark solved or reopen)",
    responses={200: schemas.TICKET},
)
def update_ticket(call: Call, ticket_id: str) -> Response:
    changes = dict(call.body)
    reason = str(changes.pop("reason", ""))
    expected = _expected_version(call)
    ticket = conversation.update(
        bootstrap.dependencies(),
        call.caller,
        ticket_id,
        changes,
        expected_version=expected,
        reason=reason,
    )
    return _with_etag(schemas.ticket_json(ticket, staff=call.caller.is_staff))


@endpoint(
    "POST",
    "/api/tickets/{ticket_id}/replies",
    roles=CUSTOMERS,
    tag="tickets",
    path_params=TICKET_PATH,
    body=schemas.REPLY,
    headers={**IF_MATCH, **IDEMPOTENCY_KEY},
    summary=(
        "A public reply (mailed to the requester when staff write it), with files uploaded "
        "through POST /api/tickets/{ticket_id}/attachments"
    ),
    responses={201: schemas.TICKET},
)
def add_reply(call: Call, ticket_id: str) -> Response:
    deps = bootstrap.dependencies()
    replied: list[Ticket] = []

    def create() -> str:
        files = attachments.uploaded(deps, call.caller, ticket_id, call.body.get("attachments", []))
        replied.append(
            conversation.reply(
                deps,
                call.caller,
                ticket_id,
                text=call.body["text"],
                html=call.body.get("html", ""),
                status=call.body.get("status"),
                expected_version=_expected_version(call),
                attachments=files,
            )
        )
        return replied[0].id

    scope = f"replies:{ticket_id}"
    key = call.header(idempotency.HEADER)
    found, replayed = idempotency.once(
        deps, call.caller, key, scope=scope, body=call.body, create=create
    )
    ticket = replied[0] if replied else conversation.find_ticket(deps, call.caller, found)
    response = _with_etag(schemas.ticket_json(ticket, staff=call.caller.is_staff), 201)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@endpoint(
    "POST",
    "/api/tickets/{ticket_id}/notes",
    roles=STAFF,
    tag="tickets",
    path_params=TICKET_PATH,
    body=schemas.NOTE,
    summary="Agents: an internal note (never shown to customers)",
    responses={201: schemas.TICKET},
)
def add_note(call: Call, ticket_id: str) -> Response:
    ticket = conversation.note(
        bootstrap.dependencies(), call.caller, ticket_id, text=call.body["text"]
    )
    return _with_etag(schemas.ticket_json(ticket), 201)


@endpoint(
    "POST",
    "/api/tickets/{ticket_id}/rating",
    roles=CUSTOMERS,
    tag="tickets",
    path_params=TICKET_PATH,
    body=schemas.RATING,
    summary="The requester rates a solved ticket (1-5)",
    responses={201: schemas.TICKET},
)
def rate_ticket(call: Call, ticket_id: str) -> Response:
    rating = conversation.Rating(call.body["score"], call.body.get("comment", ""))
    ticket = conversation.rate(bootstrap.dependencies(), call.caller, ticket_id, rating)
    return _with_etag(schemas.ticket_json(ticket, staff=call.caller.is_staff), 201)


# ------------------------------------------------------------------------------ admin
KIND_PATH = {"kind": {"type": "string", "pattern": "^[a-z][a-z0-9-]{0,40}$"}}


@endpoint(
    "GET",
    "/api/admin/config/{kind}",
    roles=ADMINS,
    tag="admin",
    path_params=KIND_PATH,
    summary="The applied version of a configuration document",
    responses={200: schemas.CONFIG_DOCUMENT},
)
def get_config(call: Call, kind: str) -> Response:
    stored = admin.current_config(bootstrap.dependencies(), kind)
    body = {
        "kind": kind,
        "version": stored.version if stored else 0,
        "text": stored.text if stored else "",
        "applied_by": stored.applied_by if stored else None,
    }
    return Response(body=body, status_code=200, headers={"ETag": f'"{body["version"]}"'})


@endpoint(
    "POST",
    "/api/admin/config/{kind}/validate",
    roles=ADMINS,
    tag="admin",
    path_params=KIND_PATH,
    body=schemas.CONFIG_TEXT,
    summary="Check a configuration document without applying it",
    responses={200: schemas.ACCEPTED},
)
def validate_config(call: Call, kind: str) -> dict[str, Any]:
    admin.validate_config(kind, call.body["text"])
    return {"status": "valid"}


@endpoint(
    "PUT",
    "/api/admin/config/{kind}",
    roles=ADMINS,
    tag="admin",
    path_params=KIND_PATH,
    body=schemas.CONFIG_TEXT,
    headers=IF_MATCH,
    summary="Validate and apply a configuration document as the next version",
    responses={200: schemas.CONFIG_DOCUMENT},
)
def apply_config(call: Call, kind: str) -> Response:
    stored = admin.apply_config(
        bootstrap.dependencies(),
        call.caller,
        kind,
        call.body["text"],
        expected_version=_expected_version(call),
    )
    body = {
        "kind": kind,
        "version": stored.version,
        "text": stored.text,
        "applied_by": stored.applied_by,
    }
    return Response(body=body, status_code=200, headers={"ETag": f'"{stored.version}"'})


# The routes of each area, registered on import (after `endpoint` exists).
from api import (  # noqa: E402
    routes_admin,  # noqa: F401
    routes_agents,  # noqa: F401
    routes_attachments,  # noqa: F401
    routes_kb,  # noqa: F401
    routes_kb_admin,  # noqa: F401
)

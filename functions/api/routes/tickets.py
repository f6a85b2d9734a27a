"""Tickets: the agents' views, a customer's tabs, opening one, its thread, changes, replies,
notes and ratings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Response

from api import schemas
from api.endpoints import CUSTOMERS, STAFF, Call
from api.service import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    TICKET_PATH,
    endpoint,
    expected_version,
    with_etag,
)
from tessera import bootstrap
from tessera.safeguards import idempotency
from tessera.sla import clocks
from tessera.tickets import attachments, conversation, reading
from tessera.tickets.model import Ticket, utcnow


def _ticket_response(call: Call, ticket: Ticket, status: int = 200) -> Response:
    return with_etag(_ticket_json(call, ticket), status)


def _ticket_json(call: Call, ticket: Ticket) -> dict[str, Any]:
    staff = call.caller.is_staff
    visible = frozenset() if staff else reading.customer_fields(bootstrap.dependencies())
    return schemas.ticket_json(ticket, staff=staff, customer_fields=visible)


def _created_once(call: Call, scope: str, create: Callable[[], Ticket]) -> Response:
    """Run ``create`` once per ``Idempotency-Key`` (tessera.safeguards.idempotency): a repeat
    answers 201 with the ticket as it is now and ``Idempotent-Replayed: true``."""
    deps = bootstrap.dependencies()
    created: list[Ticket] = []

    def run() -> str:
        created.append(create())
        return created[0].id

    ticket_id, replayed = idempotency.once(
        deps, call.caller, call.header(idempotency.HEADER), scope=scope, body=call.body, create=run
    )
    ticket = created[0] if created else reading.find_ticket(deps, call.caller, ticket_id)
    response = _ticket_response(call, ticket, 201)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


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
    page = reading.view(
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
    page = reading.mine(
        bootstrap.dependencies(),
        call.caller,
        tab=q["tab"],
        limit=q["limit"],
        cursor=q.get("cursor"),
    )
    return {"items": [_ticket_json(call, t) for t in page.items], "cursor": page.cursor}


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

    def create() -> Ticket:
        deps = bootstrap.dependencies()
        files = attachments.uploaded_for_new_ticket(deps, call.caller, b.get("attachments", []))
        return conversation.create_ticket(
            deps,
            call.caller,
            subject=b["subject"],
            body=b["body"],
            requester=b.get("requester"),
            priority=b.get("priority"),
            custom_fields=b.get("custom_fields"),
            attachments=files,
            channel=b.get("channel"),
            notify=b.get("notify"),
        )

    return _created_once(call, "tickets", create)


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
    deps = bootstrap.dependencies()
    thread = reading.thread_for(deps, call.caller, ticket_id)
    staff = call.caller.is_staff
    visible = frozenset() if staff else reading.customer_fields(deps)
    body = schemas.thread_json(thread, staff=staff, customer_fields=visible)
    if staff:
        sla = deps.config().get("sla")
        standings = clocks.standings(thread.ticket, sla, utcnow())
        body["sla_targets"] = [schemas.standing_json(s) for s in standings]
    return with_etag(body)


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
    ticket = conversation.update(
        bootstrap.dependencies(),
        call.caller,
        ticket_id,
        changes,
        expected_version=expected_version(call),
        reason=reason,
    )
    return _ticket_response(call, ticket)


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
    b = call.body

    def create() -> Ticket:
        deps = bootstrap.dependencies()
        files = attachments.uploaded(deps, call.caller, ticket_id, b.get("attachments", []))
        return conversation.reply(
            deps,
            call.caller,
            ticket_id,
            text=b["text"],
            html=b.get("html", ""),
            status=b.get("status"),
            expected_version=expected_version(call),
            attachments=files,
        )

    return _created_once(call, f"replies:{ticket_id}", create)


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
    return _ticket_response(call, ticket, 201)


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
    return _ticket_response(call, ticket, 201)

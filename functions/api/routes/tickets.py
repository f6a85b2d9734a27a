"""Tickets: the agents' views, a customer's tabs, opening one, its thread, changes, replies,
notes and ratings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalice.app import Response

from api import schemas
from api.endpoints import CUSTOMERS, PUBLIC, STAFF, Call, status_of
from api.service import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    TICKET_PATH,
    endpoint,
    expected_version,
    with_etag,
)
from tessera import bootstrap
from tessera.errors import ValidationFailed
from tessera.kb import feedback
from tessera.observability import TICKET_CREATED, TICKET_REPLIED, count
from tessera.safeguards import idempotency
from tessera.search import searching
from tessera.search.model import SearchFilters, SearchRequest, Sort
from tessera.sla import clocks
from tessera.tickets import attachments, conversation, fields, queue, reading
from tessera.tickets.model import Channel, Priority, Status, Ticket, utcnow


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
        "Agents: a view of the tickets (all, mine, a group's, unassigned, pending, breaching, "
        "breached, solved), filtered and sorted; one Query per page"
    ),
    query={
        "view": schemas.LIST_VIEW,
        "group": schemas.NAME,
        "status": schemas.STATUSES,
        "priority": schemas.PRIORITY,
        "tag": schemas.NAME,
        "assignee": schemas.NAME,
        "sort": {**schemas.SORT, "enum": [*schemas.SORT["enum"], "relevance"]},
        "limit": schemas.LIMIT,
        "cursor": schemas.CURSOR,
        "q": schemas.SEARCH_TEXT,
        "channel": {"type": "string", "enum": [c.value for c in Channel]},
        "created_from": schemas.SINCE,
        "created_to": schemas.SINCE,
        "updated_from": schemas.SINCE,
        "updated_to": schemas.SINCE,
    },
    responses={200: {"oneOf": [schemas.TICKET_LIST, schemas.SEARCH_PAGE]}},
)
def list_tickets(call: Call) -> dict[str, Any]:
    q = call.query
    if "q" in q:
        return _search(call, staff=True)
    for name in ("channel", "created_from", "created_to", "updated_from", "updated_to"):
        if name in q:
            raise ValidationFailed(name, "filters a search: give q too")
    if q.get("sort") == "relevance":
        raise ValidationFailed("sort", "relevance orders a search: give q too")
    view = q["view"]
    group = q.get("group")
    filters = queue.Filters(
        statuses=frozenset(Status(s) for s in q["status"].split(","))
        if "status" in q
        else frozenset(),
        priority=Priority(q["priority"]) if "priority" in q else None,
        tag=q["tag"].strip().lower() if "tag" in q else None,
        # For view=group and view=unassigned the group picks the queue; elsewhere it filters.
        group=None if view in {"group", "unassigned"} else group,
        assignee=q.get("assignee"),
    )
    page = queue.listing(
        bootstrap.dependencies(),
        call.caller,
        view=view,
        group=group if view in {"group", "unassigned"} else None,
        filters=filters,
        sort=q.get("sort"),
        limit=q["limit"],
        cursor=q.get("cursor"),
    )
    return {
        "items": [schemas.ticket_json(t) for t in page.items],
        "cursor": page.cursor,
        "sort": page.sort,
        "ordered": "index" if page.ordered_by_index else "page",
    }


def _time(call: Call, name: str) -> datetime | None:
    raw = call.query.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace(" ", "+"))
    except ValueError:
        raise ValidationFailed(name, "must be an ISO-8601 time") from None
    if value.tzinfo is None:
        raise ValidationFailed(name, "must name its offset (Z or +00:00)")
    return value


def _search(call: Call, *, staff: bool) -> dict[str, Any]:
    """GET /api/tickets?q= and /api/me/tickets?q=: one page of the ticket index."""
    q = call.query
    sorts: dict[str, Sort] = {"relevance": "relevance", "updated": "updated", "created": "created"}
    sort = sorts.get(q.get("sort") or "relevance")
    if sort is None:
        raise ValidationFailed("sort", "a search sorts by relevance, updated or created")
    filters = SearchFilters()
    if staff:
        filters = SearchFilters(
            statuses=frozenset(q["status"].split(",")) if "status" in q else frozenset(),
            priority=q.get("priority"),
            group=q.get("group"),
            assignee=q.get("assignee"),
            tag=q["tag"].strip().lower() if "tag" in q else None,
            channel=q.get("channel"),
            created_from=_time(call, "created_from"),
            created_to=_time(call, "created_to"),
            updated_from=_time(call, "updated_from"),
            updated_to=_time(call, "updated_to"),
        )
    request = SearchRequest(
        text=q["q"],
        filters=filters,
        sort=sort,
        limit=q["limit"],
        offset=searching.offset_of(q.get("cursor")),
    )
    result = searching.search_tickets(
        bootstrap.search_index(), call.caller, request, bootstrap.dependencies().tickets
    )
    return schemas.search_json(result, sort, searching.cursor_of(result.next_offset))


@endpoint(
    "GET",
    "/api/views",
    roles=STAFF,
    tag="tickets",
    summary=(
        "Agents: my views for the console's left rail, each with its live count and the query "
        "of GET /api/tickets that lists it; one Query per count"
    ),
    responses={200: schemas.VIEW_LIST},
)
def list_views(call: Call) -> dict[str, Any]:
    views = queue.views(bootstrap.dependencies(), call.caller)
    return {
        "items": [
            {
                "id": v.id,
                "label_key": v.label_key,
                "count": v.count,
                "capped": v.capped,
                "query": v.query,
                "group": v.group,
            }
            for v in views
        ]
    }


@endpoint(
    "GET",
    "/api/tickets/changes",
    roles=STAFF,
    tag="tickets",
    summary="Agents: has any ticket changed since a time? (one Query of one item; for polling)",
    query={"since": {**schemas.SINCE}},
    responses={200: schemas.CHANGES},
)
def ticket_changes(call: Call) -> dict[str, Any]:
    raw = call.query.get("since")
    if raw is None:
        raise ValidationFailed("since", "is required")
    try:
        since = datetime.fromisoformat(raw.replace(" ", "+"))
    except ValueError:
        raise ValidationFailed("since", "must be an ISO-8601 time") from None
    if since.tzinfo is None:
        raise ValidationFailed("since", "must name its offset (Z or +00:00)")
    changed, latest = queue.changes(bootstrap.dependencies(), call.caller, since)
    return {"changed": changed, "latest": latest.isoformat() if latest else None}


@endpoint(
    "POST",
    "/api/tickets/bulk",
    roles=STAFF,
    tag="tickets",
    body=schemas.BULK,
    summary=(
        "Agents: one change to up to 100 tickets, each audited on its own (reason bulk); "
        "each ticket's outcome reported, a failure does not stop the others"
    ),
    responses={200: schemas.BULK_RESULTS},
)
def bulk_change(call: Call) -> dict[str, Any]:
    outcomes = queue.bulk(
        bootstrap.dependencies(), call.caller, call.body["ids"], call.body["changes"]
    )
    results = []
    for outcome in outcomes:
        if outcome.ticket is not None:
            results.append(
                {
                    "id": outcome.ref,
                    "ok": True,
                    "status": 200,
                    "ticket": schemas.ticket_json(outcome.ticket),
                }
            )
            continue
        error = outcome.error
        assert error is not None
        result: dict[str, Any] = {
            "id": outcome.ref,
            "ok": False,
            "status": status_of(error),
            "code": type(error).__name__,
            "error": str(error),
        }
        if isinstance(error, ValidationFailed):
            result["field"] = error.field
        results.append(result)
    return {"results": results}


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
        "q": {
            **schemas.SEARCH_TEXT,
            "description": "Search my tickets (every tab): words, phrases, prefixes, #1042",
        },
        "sort": schemas.SEARCH_SORT,
    },
    responses={200: {"oneOf": [schemas.PAGE, schemas.SEARCH_PAGE]}},
)
def my_tickets(call: Call) -> dict[str, Any]:
    q = call.query
    if "q" in q:
        return _search(call, staff=False)
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
    summary=(
        "Open a ticket (customers for themselves, with the KB articles they viewed; staff for "
        "any requester)"
    ),
    responses={201: schemas.TICKET},
)
def create_ticket(call: Call) -> Response:
    b = call.body

    def create() -> Ticket:
        deps = bootstrap.dependencies()
        viewed = feedback.article_views(call.caller, b.get("viewed_articles", []))
        files = attachments.uploaded_for_new_ticket(deps, call.caller, b.get("attachments", []))
        ticket = conversation.create_ticket(
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
        # Inside the idempotent create: a replayed request counts nothing again.
        feedback.ticket_opened(bootstrap.kb_feedback(), viewed)
        count(TICKET_CREATED, ticket_id=ticket.id)
        return ticket

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
        standings = clocks.standings(thread.ticket, clocks.applied(deps), utcnow())
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
        ticket = conversation.reply(
            deps,
            call.caller,
            ticket_id,
            text=b["text"],
            html=b.get("html", ""),
            status=b.get("status"),
            expected_version=expected_version(call),
            attachments=files,
        )
        count(TICKET_REPLIED, ticket_id=ticket.id)
        return ticket

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


# ------------------------------------------------------------------ the portal's form
FORM_FIELD = schemas.obj(
    {
        "key": {"type": "string"},
        "type": {"type": "string", "enum": ["text", "number", "select"]},
        "options": {"type": "array", "items": {"type": "string"}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "required": {"type": "boolean"},
        "max_length": {"type": "integer"},
    },
    ["key", "type", "options", "labels", "required", "max_length"],
)


@endpoint(
    "GET",
    "/api/ticket-form",
    roles=PUBLIC,
    tag="tickets",
    summary=(
        "The custom fields the portal's new-ticket form shows (the fields document's "
        "customer-visible ones, in its order), with their labels and whether customers must "
        "fill them in"
    ),
    responses={
        200: schemas.obj(
            {"custom_fields": {"type": "array", "items": FORM_FIELD}}, ["custom_fields"]
        )
    },
)
def ticket_form(call: Call) -> dict[str, Any]:
    found = fields.portal_form(bootstrap.dependencies())
    return {
        "custom_fields": [
            {
                "key": f.key,
                "type": "select" if f.type == "choice" else f.type,
                "options": list(f.choices),
                "labels": dict(f.labels),
                "required": "customers" in f.required_for,
                "max_length": f.max_length,
            }
            for f in found
        ]
    }

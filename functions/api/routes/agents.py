"""Agents' tools beside the thread: requester history, merging duplicates, canned responses."""

from __future__ import annotations

from typing import Any

from api import schemas
from api.endpoints import STAFF, Call
from api.service import TICKET_PATH, endpoint
from tessera import bootstrap
from tessera.tickets import canned, merge, reading
from tessera.workspace import team

CANNED_PATH = {"canned_id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"}}
CANNED = schemas.obj(
    {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "text": {"type": "string"},
        "groups": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Shared with these routing groups only (absent: with everyone)",
        },
        "set": {
            **schemas.obj(
                {
                    "status": schemas.STATUS,
                    "priority": schemas.PRIORITY,
                    "group": {"type": "string"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                }
            ),
            "description": (
                "A macro's ticket changes, to apply with the reply (tags: add them); absent "
                "for a plain response"
            ),
        },
    },
    ["id", "title", "text"],
)


def _canned_json(response: canned.CannedResponse) -> dict[str, Any]:
    body: dict[str, Any] = {"id": response.id, "title": response.title, "text": response.text}
    if response.set:
        body["set"] = {k: list(v) if k == "tags" else v for k, v in response.set.items()}
    if response.groups:
        body["groups"] = sorted(response.groups)
    return body


MERGE = schemas.obj(
    {"into": schemas.TICKET_ID, "reason": {"type": "string", "maxLength": 1000}}, ["into"]
)
MERGED = schemas.obj({"duplicate": schemas.TICKET, "into": schemas.TICKET}, ["duplicate", "into"])


@endpoint(
    "GET",
    "/api/tickets/{ticket_id}/related",
    roles=STAFF,
    tag="agents",
    path_params=TICKET_PATH,
    query={"limit": schemas.LIMIT, "cursor": schemas.CURSOR},
    summary="Agents: the requester's other tickets, newest first (requester history)",
    responses={200: schemas.PAGE},
)
def requester_history(call: Call, ticket_id: str) -> dict[str, Any]:
    page = reading.requester_history(
        bootstrap.dependencies(),
        call.caller,
        ticket_id,
        limit=call.query["limit"],
        cursor=call.query.get("cursor"),
    )
    return {"items": [schemas.ticket_json(t) for t in page.items], "cursor": page.cursor}


@endpoint(
    "POST",
    "/api/tickets/{ticket_id}/merge",
    roles=STAFF,
    tag="agents",
    path_params=TICKET_PATH,
    body=MERGE,
    summary=(
        "Agents: merge this duplicate into another ticket (its public thread is quoted there, "
        "it is closed with a link, both audit trails record it)"
    ),
    responses={200: MERGED},
)
def merge_ticket(call: Call, ticket_id: str) -> dict[str, Any]:
    duplicate, target = merge.merge(
        bootstrap.dependencies(),
        call.caller,
        ticket_id,
        call.body["into"],
        reason=call.body.get("reason", ""),
    )
    return {"duplicate": schemas.ticket_json(duplicate), "into": schemas.ticket_json(target)}


@endpoint(
    "GET",
    "/api/canned-responses",
    roles=STAFF,
    tag="agents",
    summary="Agents: the canned responses (the `canned` configuration document)",
    responses={200: schemas.obj({"items": {"type": "array", "items": CANNED}}, ["items"])},
)
def canned_responses(call: Call) -> dict[str, Any]:
    items = canned.responses(bootstrap.dependencies(), call.caller)
    return {"items": [_canned_json(r) for r in items]}


@endpoint(
    "GET",
    "/api/tickets/{ticket_id}/canned-responses/{canned_id}",
    roles=STAFF,
    tag="agents",
    path_params={**TICKET_PATH, **CANNED_PATH},
    summary="Agents: a canned response with its placeholders filled in for this ticket",
    responses={200: CANNED},
)
def apply_canned(call: Call, ticket_id: str, canned_id: str) -> dict[str, Any]:
    response = canned.apply(bootstrap.dependencies(), call.caller, ticket_id, canned_id)
    return _canned_json(response)


WORKSPACE = schemas.obj(
    {
        "groups": {"type": "array", "items": {"type": "object"}},
        "agents": {"type": "array", "items": {"type": "object"}},
        "fields": {"type": "array", "items": {"type": "object"}},
    },
    ["groups", "agents", "fields"],
)


@endpoint(
    "GET",
    "/api/workspace",
    roles=STAFF,
    tag="agents",
    summary=(
        "Agents: what the console's pickers offer: groups with their members, every agent, "
        "the custom fields"
    ),
    responses={200: WORKSPACE},
)
def workspace(call: Call) -> dict[str, Any]:
    found = team.workspace(bootstrap.dependencies(), call.caller)
    return {
        "groups": [
            {
                "name": g.name,
                "escalates_to": g.escalates_to,
                "members": list(g.members),
                "calendar": g.calendar,
            }
            for g in found.groups
        ],
        "agents": [
            {"email": a.email, "name": a.name, "groups": list(a.groups)} for a in found.agents
        ],
        "fields": [
            {
                "key": f.key,
                "type": f.type,
                "choices": list(f.choices),
                "max_length": f.max_length,
                "customer_visible": f.customer_visible,
                # who must fill it in when opening a ticket (customers, agents), and its name
                # per language: the console shows the label, the admin table both
                "required": sorted(f.required_for),
                "labels": dict(f.labels),
            }
            for f in found.fields
        ],
    }

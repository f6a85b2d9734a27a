"""The agent workspace: the agent's own settings and notifications, and presence on a
ticket (collision detection)."""

from __future__ import annotations

from typing import Any

from api import schemas
from api.endpoints import STAFF, Call
from api.service import endpoint
from tessera import bootstrap
from tessera.ports import Notification, Presence
from tessera.routing.directory import STATUSES
from tessera.tickets.model import display_name
from tessera.workspace import notifications, presence, settings

ULID: schemas.Schema = {"type": "string", "pattern": "^[0-9A-HJKMNP-TV-Z]{26}$"}
NOTIFY_KINDS = {"type": "string", "enum": list(settings.NOTIFY_KINDS)}
NOTIFY = schemas.obj({kind: {"type": "boolean"} for kind in settings.NOTIFY_KINDS})
ME = schemas.obj(
    {
        "email": {"type": "string"},
        "name": {"type": "string"},
        "role": {"type": "string", "enum": ["agent", "lead", "admin"]},
        "groups": {"type": "array", "items": {"type": "string"}},
        "status": {"type": "string", "enum": list(STATUSES)},
        "notify": {**NOTIFY, "required": list(settings.NOTIFY_KINDS)},
    },
    ["email", "name", "role", "groups", "status", "notify"],
)
ME_CHANGES: schemas.Schema = {
    **schemas.obj({"status": {"type": "string", "enum": list(STATUSES)}, "notify": NOTIFY}),
    "minProperties": 1,
}
NOTIFICATION = schemas.obj(
    {
        "id": {"type": "string"},
        "kind": NOTIFY_KINDS,
        "ticket_id": {"type": "string"},
        "number": {"type": "integer"},
        "subject": {"type": "string"},
        "at": {"type": "string"},
        "read": {"type": "boolean"},
    },
    ["id", "kind", "ticket_id", "number", "subject", "at", "read"],
)
NOTIFICATIONS = schemas.obj(
    {
        "items": {"type": "array", "items": NOTIFICATION},
        "unread": {"type": "integer", "minimum": 0},
        "cursor": {"type": ["string", "null"]},
    },
    ["items", "unread", "cursor"],
)
MARK_READ: schemas.Schema = {
    **schemas.obj(
        {
            "ids": {"type": "array", "items": ULID, "minItems": 1, "maxItems": 100},
            "all": {"type": "boolean", "const": True},
        }
    ),
    "minProperties": 1,
    "maxProperties": 1,
}
UNREAD = schemas.obj({"unread": {"type": "integer", "minimum": 0}}, ["unread"])
PRESENCE_PATH = {"ticket_id": ULID}
ACTIVITY = schemas.obj(
    {"activity": {"type": "string", "enum": list(presence.ACTIVITIES)}}, ["activity"]
)
PRESENT = schemas.obj(
    {
        "others": {
            "type": "array",
            "items": schemas.obj(
                {
                    "agent": {"type": "string"},
                    "name": {"type": "string"},
                    "activity": {"type": "string", "enum": list(presence.ACTIVITIES)},
                    "since": {"type": "string"},
                },
                ["agent", "activity", "since"],
            ),
        },
        "version": {"type": "integer"},
    },
    ["others", "version"],
)


def _me_json(me: settings.Me) -> dict[str, Any]:
    return {
        "email": me.email,
        "name": me.name,
        "role": me.role,
        "groups": list(me.groups),
        "status": me.status,
        "notify": dict(me.notify),
    }


def _notification_json(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id,
        "kind": n.kind,
        "ticket_id": n.ticket_id,
        "number": n.number,
        "subject": n.subject,
        "at": n.at.isoformat(),
        "read": n.read,
    }


def _present_json(present: presence.Present) -> dict[str, Any]:
    return {
        "others": [_other_json(p) for p in present.others],
        "version": present.version,
    }


def _other_json(p: Presence) -> dict[str, Any]:
    return {
        "agent": p.agent,
        "name": display_name(p.agent),
        "activity": p.activity,
        "since": p.since.isoformat(),
    }


@endpoint(
    "GET",
    "/api/me",
    roles=STAFF,
    tag="workspace",
    summary="Agents: who I am to the helpdesk: role, groups, availability, notification mail",
    responses={200: ME},
)
def get_me(call: Call) -> dict[str, Any]:
    return _me_json(settings.me(bootstrap.dependencies(), call.caller))


@endpoint(
    "PATCH",
    "/api/me",
    roles=STAFF,
    tag="workspace",
    body=ME_CHANGES,
    summary=(
        "Agents: set my availability (away and offline get no new assignments) and switch "
        "notification mail on or off"
    ),
    responses={200: ME},
)
def update_me(call: Call) -> dict[str, Any]:
    me = settings.update_me(
        bootstrap.dependencies(),
        call.caller,
        status=call.body.get("status"),
        notify=call.body.get("notify"),
    )
    return _me_json(me)


@endpoint(
    "GET",
    "/api/me/notifications",
    roles=STAFF,
    tag="workspace",
    query={"limit": schemas.LIMIT, "cursor": schemas.CURSOR},
    summary="Agents: my notifications, newest first, and how many are unread",
    responses={200: NOTIFICATIONS},
)
def my_notifications(call: Call) -> dict[str, Any]:
    page = notifications.listing(
        bootstrap.dependencies(),
        call.caller,
        limit=call.query["limit"],
        cursor=call.query.get("cursor"),
    )
    return {
        "items": [_notification_json(n) for n in page.items],
        "unread": page.unread,
        "cursor": page.cursor,
    }


@endpoint(
    "POST",
    "/api/me/notifications/read",
    roles=STAFF,
    tag="workspace",
    body=MARK_READ,
    summary='Agents: mark notifications read: {"ids": [...]} or {"all": true}',
    responses={200: UNREAD},
)
def read_notifications(call: Call) -> dict[str, Any]:
    unread = notifications.mark_read(
        bootstrap.dependencies(),
        call.caller,
        ids=call.body.get("ids", []),
        everything=bool(call.body.get("all")),
    )
    return {"unread": unread}


@endpoint(
    "PUT",
    "/api/tickets/{ticket_id}/presence",
    roles=STAFF,
    tag="workspace",
    path_params=PRESENCE_PATH,
    body=ACTIVITY,
    summary=(
        f"Agents: I am viewing or replying to this ticket (for {presence.TTL_SECONDS} s: "
        "call again while the page is open); the other agents here now"
    ),
    responses={200: PRESENT},
)
def here(call: Call, ticket_id: str) -> dict[str, Any]:
    present = presence.here(bootstrap.dependencies(), call.caller, ticket_id, call.body["activity"])
    return _present_json(present)


@endpoint(
    "DELETE",
    "/api/tickets/{ticket_id}/presence",
    roles=STAFF,
    tag="workspace",
    path_params=PRESENCE_PATH,
    summary="Agents: I left this ticket's page; the other agents still here",
    responses={200: PRESENT},
)
def leave(call: Call, ticket_id: str) -> dict[str, Any]:
    return _present_json(presence.leave(bootstrap.dependencies(), call.caller, ticket_id))

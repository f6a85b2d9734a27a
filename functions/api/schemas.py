"""The API's JSON Schemas (requests and responses) and the functions that shape responses.

The same schemas validate requests (api.endpoints) and describe them in the OpenAPI document
(api.openapi), and tests validate responses against the response schemas.
"""

from __future__ import annotations

from typing import Any

from tessera.ports import Thread
from tessera.sla.clocks import Standing, next_breach
from tessera.tickets.model import (
    STAFF_CHANNELS,
    Event,
    Message,
    Priority,
    Status,
    Ticket,
    display_name,
    speaker,
    utcnow,
)
from tessera.tickets.queue import BULK_LIMIT, SORTS, VIEWS

Schema = dict[str, Any]

EMAIL: Schema = {"type": "string", "format": "email", "maxLength": 254}
TEXT: Schema = {"type": "string", "minLength": 1, "maxLength": 65536}
TICKET_ID: Schema = {"type": "string", "pattern": "^([0-9A-HJKMNP-TV-Z]{26}|[0-9]{1,12})$"}
STATUS: Schema = {"type": "string", "enum": [s.value for s in Status]}
PRIORITY: Schema = {"type": "string", "enum": [p.value for p in Priority]}
NAME: Schema = {"type": "string", "minLength": 1, "maxLength": 128}
LANGUAGE: Schema = {"type": "string", "pattern": "^[a-z]{2,3}$"}
ARTICLE_SLUG: Schema = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,80}$"}
TAGS: Schema = {"type": "array", "items": NAME, "maxItems": 50, "uniqueItems": True}
CUSTOM_FIELDS: Schema = {
    "type": "object",
    "additionalProperties": {"type": "string", "maxLength": 1024},
    "maxProperties": 50,
}
NULLABLE_NAME: Schema = {"type": ["string", "null"], "minLength": 1, "maxLength": 254}


def obj(properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": required or [],
        "additionalProperties": False,
    }


# ------------------------------------------------------------------------------ requests
LOGIN = obj(
    {"email": EMAIL, "password": {"type": "string", "minLength": 1, "maxLength": 256}},
    ["email", "password"],
)
MAGIC_LINK = obj(
    {
        "email": EMAIL,
        "next": {
            "type": "string",
            "pattern": "^[a-z]+\\.html(\\?[A-Za-z0-9=&%._-]*)?$",
            "maxLength": 200,
            "description": "The portal page to land on after signing in (e.g. new.html)",
        },
    },
    ["email"],
)
NEW_PASSWORD = obj(
    {
        "email": EMAIL,
        "password": {"type": "string", "minLength": 1, "maxLength": 256},
        "new_password": {"type": "string", "minLength": 12, "maxLength": 256},
    },
    ["email", "password", "new_password"],
)
TOKEN_EXCHANGE = obj({"token": {"type": "string", "minLength": 1, "maxLength": 2048}}, ["token"])
NEW_TICKET = obj(
    {
        "subject": {"type": "string", "minLength": 1, "maxLength": 998},
        "body": TEXT,
        "requester": EMAIL,
        "priority": PRIORITY,
        "custom_fields": CUSTOM_FIELDS,
        "attachments": {
            "type": "array",
            "maxItems": 10,
            "items": {"type": "string", "pattern": "^[0-9A-HJKMNP-TV-Z]{26}$"},
            "description": "Files uploaded with POST /api/attachments: on the first message",
        },
        "channel": {
            "type": "string",
            "enum": [c.value for c in STAFF_CHANNELS],
            "description": (
                "Staff only (a customer's is a 400): how the customer came; phone and other: "
                "the body is their request as the agent took it down (default api)"
            ),
        },
        "notify": {
            "type": "boolean",
            "description": "Staff only: mail the requester the acknowledgement (default false)",
        },
        "viewed_articles": {
            "type": "array",
            "maxItems": 10,
            "items": obj({"language": LANGUAGE, "article": ARTICLE_SLUG}, ["language", "article"]),
            "description": (
                "Customers only (staff's is a 400): the knowledge-base articles the customer "
                "viewed before opening it, most recent first (the portal sends them); each "
                "counts the ticket once in GET /api/reports/kb"
            ),
        },
    },
    ["subject", "body"],
)
ATTACHMENT_ID: Schema = {"type": "string", "pattern": "^([0-9A-HJKMNP-TV-Z]{26}|[0-9a-f]{64})$"}
REPLY = obj(
    {
        "text": TEXT,
        "html": {"type": "string", "maxLength": 262144},
        "status": STATUS,
        "attachments": {
            "type": "array",
            "items": ATTACHMENT_ID,
            "maxItems": 10,
            "uniqueItems": True,
            "description": "Ids from POST /api/tickets/{ticket_id}/attachments, uploaded",
        },
    },
    ["text"],
)
NOTE = obj({"text": TEXT}, ["text"])
TICKET_CHANGES: Schema = {
    **obj(
        {
            "subject": {"type": "string", "minLength": 1, "maxLength": 998},
            "status": STATUS,
            "priority": PRIORITY,
            "group": NULLABLE_NAME,
            "assignee": NULLABLE_NAME,
            "tags": TAGS,
            "custom_fields": CUSTOM_FIELDS,
            "language": {"type": ["string", "null"], "pattern": "^[a-z]{2,3}(-[A-Za-z]{2,4})?$"},
            "reason": {"type": "string", "maxLength": 1000},
        }
    ),
    "minProperties": 1,
}
RATING = obj(
    {
        "score": {"type": "integer", "minimum": 1, "maximum": 5},
        "comment": {"type": "string", "maxLength": 2000},
    },
    ["score"],
)

_STATUS_NAMES = "|".join(s.value for s in Status)
STATUSES: Schema = {
    "type": "string",
    "pattern": f"^({_STATUS_NAMES})(,({_STATUS_NAMES}))*$",
    "maxLength": 64,
    "description": "A status, or several of one stage, comma-separated: new,open",
}
LIST_VIEW: Schema = {"type": "string", "enum": list(VIEWS), "default": "all"}
SORT: Schema = {
    "type": "string",
    "enum": list(SORTS),
    "description": (
        "Default: the view's index order (updated, newest change first; breaching and breached: "
        "sla_due, earliest first), which holds across pages; another sort orders the page"
    ),
}
SINCE: Schema = {
    "type": "string",
    # A "+" of the offset sent unencoded arrives as a space: taken as the "+" it was.
    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+ -][0-9]{2}:[0-9]{2})$",
    "maxLength": 40,
    "description": "An ISO-8601 time with its offset, e.g. the `latest` of the last answer",
}
BULK: Schema = obj(
    {
        "ids": {
            "type": "array",
            "items": TICKET_ID,
            "minItems": 1,
            "maxItems": BULK_LIMIT,
            "uniqueItems": True,
            "description": "Ticket ids or numbers",
        },
        "changes": {
            **obj(
                {
                    "status": STATUS,
                    "priority": PRIORITY,
                    "group": NULLABLE_NAME,
                    "assignee": NULLABLE_NAME,
                    "add_tags": {**TAGS, "minItems": 1},
                }
            ),
            "minProperties": 1,
        },
    },
    ["ids", "changes"],
)

CONFIG_TEXT = obj({"text": {"type": "string", "maxLength": 200000}}, ["text"])

LIMIT: Schema = {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}
CURSOR: Schema = {"type": "string", "minLength": 1, "maxLength": 2048}

# ------------------------------------------------------------------------------ responses
ERROR = obj(
    {
        "error": obj(
            {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": "string"},
                "line": {
                    "type": "integer",
                    "description": "The line of a refused configuration document",
                },
            },
            ["code", "message"],
        )
    },
    ["error"],
)
TOKEN = obj({"token": {"type": "string"}}, ["token"])
ACCEPTED = obj({"status": {"type": "string"}}, ["status"])
PRIVACY_REQUEST = obj({"email": EMAIL}, ["email"])
PRIVACY_EXPORT: Schema = {
    "type": "object",
    "required": ["email", "tickets", "other_items"],
    "properties": {
        "email": EMAIL,
        "tickets": {"type": "array", "items": {"type": "object"}},
        "other_items": {"type": "array", "items": {"type": "object"}},
    },
}
PRIVACY_ERASURE = obj(
    {
        "alias": {"type": "string"},
        **{
            name: {"type": "integer", "minimum": 0}
            for name in ("tickets", "messages", "files", "items", "notifications")
        },
    },
    ["alias", "tickets", "messages", "files", "items", "notifications"],
)
TICKET: Schema = {
    "type": "object",
    "required": [
        "id",
        "number",
        "subject",
        "status",
        "priority",
        "requester",
        "group",
        "assignee",
        "version",
    ],
    "properties": {
        "id": {"type": "string"},
        "number": {"type": "integer"},
        "subject": {"type": "string"},
        "status": STATUS,
        "priority": PRIORITY,
        "requester": {"type": "string"},
        "requester_name": {
            "type": ["string", "null"],
            "maxLength": 128,
            "description": "Staff: the name the requester's first mail gave (text, never HTML)",
        },
        "group": {"type": ["string", "null"]},
        "assignee": {"type": ["string", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "custom_fields": {"type": "object", "additionalProperties": {"type": "string"}},
        "channel": {"type": "string"},
        "language": {"type": ["string", "null"]},
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
        "version": {"type": "integer"},
        "sla_due": {
            "type": ["string", "null"],
            "description": "Staff: when the earliest running SLA target is (was) breached",
        },
        "sla_breached": {"type": "boolean", "description": "Staff: sla_due has passed"},
    },
}
PAGE = obj(
    {"items": {"type": "array", "items": TICKET}, "cursor": {"type": ["string", "null"]}},
    ["items", "cursor"],
)
SEARCH_TEXT: Schema = {
    "type": "string",
    "minLength": 1,
    "maxLength": 200,
    "description": (
        'Search: words, "exact phrases", prefixes (refun*), #1042, an email or a name; '
        "ranked by relevance (recency breaks ties) unless sort says otherwise"
    ),
}
SEARCH_SORT: Schema = {"type": "string", "enum": ["relevance", "updated", "created"]}
SEARCH_HIT = obj(
    {
        "id": {"type": "string"},
        "number": {"type": "integer"},
        "subject": {"type": "string"},
        "status": {"type": "string"},
        "updated_at": {"type": "string"},
        "score": {"type": "number"},
        "matched_in": {"type": "string", "enum": ["subject", "message", "note", "file", "people"]},
        "snippet": {
            "type": "array",
            "description": "Plain-text pieces; match: a word searched for (never HTML)",
            "items": obj({"text": {"type": "string"}, "match": {"type": "boolean"}}),
        },
    },
    ["id", "number", "subject", "status", "updated_at", "snippet"],
)
SEARCH_PAGE = obj(
    {
        "items": {"type": "array", "items": SEARCH_HIT},
        "cursor": {"type": ["string", "null"]},
        "total": {"type": "integer"},
        "sort": SEARCH_SORT,
    },
    ["items", "cursor", "total", "sort"],
)


def search_json(result: Any, sort: str, cursor: str | None) -> dict[str, Any]:
    """A search result page: hits with their snippets as text pieces."""
    return {
        "items": [
            {
                "id": h.ticket_id,
                "number": h.number,
                "subject": h.subject,
                "status": h.status,
                "updated_at": h.updated_at.isoformat().replace("+00:00", "Z"),
                "score": round(h.score, 4),
                "matched_in": h.source,
                "snippet": [{"text": f.text, "match": f.match} for f in h.snippet],
            }
            for h in result.hits
        ],
        "cursor": cursor,
        "total": result.total,
        "sort": sort,
    }


TICKET_LIST = obj(
    {
        "items": {"type": "array", "items": TICKET},
        "cursor": {"type": ["string", "null"]},
        "sort": {"type": "string", "enum": list(SORTS)},
        "ordered": {
            "type": "string",
            "enum": ["index", "page"],
            "description": "index: the order holds across pages; page: within this page only",
        },
    },
    ["items", "cursor", "sort", "ordered"],
)
VIEW_LIST = obj(
    {
        "items": {
            "type": "array",
            "items": obj(
                {
                    "id": {"type": "string"},
                    "label_key": {"type": "string"},
                    "count": {"type": "integer"},
                    "capped": {"type": "boolean"},
                    "query": {"type": "string"},
                    "group": {"type": ["string", "null"]},
                },
                ["id", "label_key", "count", "capped", "query", "group"],
            ),
        }
    },
    ["items"],
)
CHANGES = obj(
    {"changed": {"type": "boolean"}, "latest": {"type": ["string", "null"]}},
    ["changed", "latest"],
)
BULK_RESULTS = obj(
    {
        "results": {
            "type": "array",
            "items": obj(
                {
                    "id": {"type": "string"},
                    "ok": {"type": "boolean"},
                    "status": {"type": "integer"},
                    "error": {"type": "string"},
                    "code": {"type": "string"},
                    "field": {"type": "string"},
                    "ticket": TICKET,
                },
                ["id", "ok", "status"],
            ),
        }
    },
    ["results"],
)
MESSAGE: Schema = {
    "type": "object",
    "required": ["id", "kind", "author", "text", "html", "created_at"],
    "properties": {
        "id": {"type": "string"},
        "kind": {"type": "string", "enum": ["public", "internal", "system"]},
        "author": {"type": "string"},
        "from": {
            "type": "string",
            "enum": ["requester", "participant", "agent", "outsider", "system"],
            "description": "outsider: mail from someone not on the ticket, held for agents",
        },
        "author_name": {
            "type": ["string", "null"],
            "description": (
                "An agent's name (from their address), or the name a mail's From gave its "
                "sender (text, never HTML); null when unknown"
            ),
        },
        "text": {"type": "string"},
        "html": {"type": "string"},
        "attachments": {"type": "array", "items": {"type": "object"}},
        "created_at": {"type": "string"},
    },
}
EVENT: Schema = {
    "type": "object",
    "required": ["id", "actor", "action", "reason", "at"],
    "properties": {
        "id": {"type": "string"},
        "actor": {"type": "string"},
        "action": {"type": "string"},
        "reason": {"type": "string"},
        "changes": {"type": "object"},
        "at": {"type": "string"},
    },
}
THREAD: Schema = {
    **TICKET,
    "required": [*TICKET["required"], "messages", "events"],
    "properties": {
        **TICKET["properties"],
        "messages": {"type": "array", "items": MESSAGE},
        "events": {"type": "array", "items": EVENT},
    },
}
CONFIG_DOCUMENT = obj(
    {
        "kind": {"type": "string"},
        "version": {"type": "integer"},
        "text": {"type": "string"},
        "applied_by": {"type": ["string", "null"]},
        "applied_at": {"type": ["string", "null"]},
    },
    ["kind", "version", "text"],
)
HEALTH = obj({"status": {"type": "string"}, "service": {"type": "string"}}, ["status", "service"])

# Only what a customer may see of a ticket: not the group, assignee, tags or custom fields.
CUSTOMER_FIELDS = (
    "id",
    "number",
    "subject",
    "status",
    "priority",
    "requester",
    "channel",
    "language",
    "created_at",
    "updated_at",
    "version",
)


def ticket_json(
    ticket: Ticket, *, staff: bool = True, customer_fields: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The ticket as its reader may see it: staff everything; a customer the fields of
    :data:`CUSTOMER_FIELDS` and the custom fields named in ``customer_fields`` (those the
    ``fields`` config lets customers set, and so see)."""
    data = ticket.snapshot()
    breach = next_breach(ticket)
    data["sla_due"] = breach.isoformat() if breach else None
    data["sla_breached"] = breach is not None and breach <= utcnow()
    if not staff:
        custom = {k: v for k, v in ticket.custom_fields.items() if k in customer_fields}
        data = {k: data[k] for k in CUSTOMER_FIELDS} | {
            "group": None,
            "assignee": None,
            "custom_fields": custom,
        }
    return data


def message_json(message: Message, ticket: Ticket) -> dict[str, Any]:
    role = speaker(ticket, message)
    return {
        "id": message.id,
        "kind": message.kind.value,
        "author": message.author,
        "from": role,
        "author_name": display_name(message.author) if role == "agent" else message.author_name,
        "text": message.text,
        "html": message.html,
        "attachments": [
            {
                "id": a.key.rsplit("/", 1)[-1],  # GET /api/tickets/{id}/attachments/{this}
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
            }
            for a in message.attachments
        ],
        "created_at": message.created_at.isoformat(),
    }


def event_json(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "actor": event.actor,
        "action": event.action,
        "reason": event.reason,
        "changes": {k: list(v) for k, v in event.changes.items()},
        "at": event.at.isoformat(),
    }


def standing_json(standing: Standing) -> dict[str, Any]:
    """One SLA target on the agent's panel: minutes used of the goal, paused or breached, and
    the instants it warns and breaches at if nothing changes (null once passed, or paused)."""
    return {
        "target": standing.target,
        "policy": standing.policy,
        "calendar": standing.calendar,
        "business_hours": standing.business,
        "goal_minutes": round(standing.goal.total_seconds() / 60),
        "used_minutes": round(standing.used.total_seconds() / 60),
        "paused": standing.paused,
        "breached": standing.breached,
        "warning_at": standing.warning_at.isoformat() if standing.warning_at else None,
        "due_at": standing.due_at.isoformat() if standing.due_at else None,
    }


def thread_json(
    thread: Thread, *, staff: bool = True, customer_fields: frozenset[str] = frozenset()
) -> dict[str, Any]:
    return {
        **ticket_json(thread.ticket, staff=staff, customer_fields=customer_fields),
        "messages": [message_json(m, thread.ticket) for m in thread.messages],
        "events": [event_json(e) for e in thread.events],
    }

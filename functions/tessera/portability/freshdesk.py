"""A Freshdesk export read into tickets (``tessera import --from freshdesk``).

The directory holds any of:

- API JSON (``*.json``, a list or one object per file, ``*.jsonl`` one per line): tickets as
  ``/api/v2/tickets/{id}?include=conversations`` returns them (``conversations`` inside),
  ``contacts`` and ``agents`` (id -> email) and ``groups`` (id -> name) as the lists
  ``/api/v2/contacts``, ``/api/v2/agents`` and ``/api/v2/groups`` return, each file named for
  what it holds (``contacts*.json``, ``agents*.json``, ``groups*.json``; anything else is tickets);
- the tickets CSV of Freshdesk's export (``*.csv``): one row per ticket with its description,
  names for status, priority, source, agent and group; columns it does not know are custom
  fields. The CSV's times are taken as UTC (export it with the account's time zone set to UTC).

Statuses 2/Open, 3/Pending, 4/Resolved, 5/Closed map to open, pending, solved, closed; other
(custom) statuses are reported as unmapped and imported as open. Priorities 1-4 / Low, Medium,
High, Urgent map to low, normal, high, urgent. A conversation's ``private`` flag makes an internal
note. Its text body is taken, never its HTML.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tessera.errors import TesseraError
from tessera.portability.importing import RecordError, SourceTicket
from tessera.portability.records import parse_time
from tessera.portability.sources import Comment, Unmapped, build, json_files, unknown_person
from tessera.tickets.model import Channel, Priority, Status

SOURCE = "freshdesk"

STATUSES: Mapping[str, Status] = {
    "2": Status.OPEN,
    "open": Status.OPEN,
    "3": Status.PENDING,
    "pending": Status.PENDING,
    "4": Status.SOLVED,
    "resolved": Status.SOLVED,
    "5": Status.CLOSED,
    "closed": Status.CLOSED,
}
PRIORITIES: Mapping[str, Priority] = {
    "1": Priority.LOW,
    "low": Priority.LOW,
    "2": Priority.NORMAL,
    "medium": Priority.NORMAL,
    "3": Priority.HIGH,
    "high": Priority.HIGH,
    "4": Priority.URGENT,
    "urgent": Priority.URGENT,
}
CHANNELS: Mapping[str, Channel] = {
    "1": Channel.EMAIL,
    "email": Channel.EMAIL,
    "2": Channel.PORTAL,
    "portal": Channel.PORTAL,
    "3": Channel.PHONE,
    "phone": Channel.PHONE,
    "9": Channel.PORTAL,
    "feedback widget": Channel.PORTAL,
    "10": Channel.EMAIL,
    "outbound email": Channel.EMAIL,
}
# The CSV's own columns; any other column is a custom field.
CSV_COLUMNS = {
    "ticket id",
    "subject",
    "description",
    "status",
    "priority",
    "source",
    "agent",
    "group",
    "created time",
    "last updated time",
    "tags",
    "email",
    "full name",
    "contact id",
    "resolved time",
    "closed time",
    "due by time",
    "initial response time",
}


@dataclass
class FreshdeskExport:
    tickets: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    rows: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    people: dict[str, str] = field(default_factory=dict)  # id -> email (contacts and agents)
    agent_names: dict[str, str] = field(default_factory=dict)  # name (lower) -> email
    groups: dict[str, str] = field(default_factory=dict)
    errors: list[RecordError] = field(default_factory=list)


def load(directory: Path) -> FreshdeskExport:
    export = FreshdeskExport()
    for found in json_files(directory):
        if isinstance(found, RecordError):
            export.errors.append(found)
            continue
        name, content = found
        items = content if isinstance(content, list) else [content]
        kind = name.split(":")[0].lower()
        for item in items:
            if not isinstance(item, dict):
                export.errors.append(RecordError(name, "not a Freshdesk object"))
            elif kind.startswith("contacts"):
                if item.get("email"):
                    export.people[str(item.get("id"))] = str(item["email"]).lower()
            elif kind.startswith("agents"):
                contact = item.get("contact") or {}
                if contact.get("email"):
                    email = str(contact["email"]).lower()
                    export.people[str(item.get("id"))] = email
                    export.agent_names[str(contact.get("name") or "").lower()] = email
            elif kind.startswith("groups"):
                export.groups[str(item.get("id"))] = str(item.get("name"))
            else:
                export.tickets.append((f"{name}: ticket {item.get('id')}", item))
    for path in sorted(directory.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                export.rows.append((f"{path.name}:{number}", row))
    return export


def read(directory: Path, unmapped: Unmapped) -> Iterator[SourceTicket | RecordError]:
    export = load(directory)
    yield from export.errors
    for where, ticket in export.tickets:
        yield from _guarded(where, lambda t=ticket, w=where: _api_ticket(export, w, t, unmapped))
    for where, row in export.rows:
        yield from _guarded(where, lambda r=row, w=where: _csv_ticket(export, w, r, unmapped))


def _guarded(where: str, make: Any) -> Iterator[SourceTicket | RecordError]:
    try:
        yield make()
    except TesseraError as error:
        yield RecordError(where, str(error))
    except (TypeError, ValueError, AttributeError, KeyError) as error:
        yield RecordError(where, f"unreadable: {error}")


def _status(value: object, unmapped: Unmapped) -> Status:
    status = STATUSES.get(str(value).strip().lower())
    if status is None:
        unmapped.note("status", value)
        return Status.OPEN
    return status


def _priority(value: object, unmapped: Unmapped) -> Priority:
    priority = PRIORITIES.get(str(value).strip().lower())
    if priority is None:
        unmapped.note("priority", value)
        return Priority.NORMAL
    return priority


def _channel(value: object) -> Channel:
    return CHANNELS.get(str(value).strip().lower(), Channel.OTHER)


def _api_ticket(
    export: FreshdeskExport, where: str, ticket: Mapping[str, Any], unmapped: Unmapped
) -> SourceTicket:
    key = str(ticket["id"])
    requester = export.people.get(str(ticket.get("requester_id"))) or ticket.get("email")
    if not requester:
        raise ValueError(f"requester {ticket.get('requester_id')} has no email in contacts")
    assignee = None
    if ticket.get("responder_id") is not None:
        assignee = unmapped.lookup("agent", export.people, str(ticket["responder_id"]))
    group = None
    if ticket.get("group_id") is not None:
        group = unmapped.lookup("group", export.groups, str(ticket["group_id"]))
    created_at = parse_time(ticket.get("created_at"), "created_at")
    comments = [
        Comment(
            id="description",
            author=str(requester).lower(),
            text=str(ticket.get("description_text") or ""),
            public=True,
            at=created_at,
        )
    ]
    for conversation in ticket.get("conversations") or []:
        author = (
            export.people.get(str(conversation.get("user_id")))
            or conversation.get("from_email")
            or unknown_person(SOURCE, conversation.get("user_id"))
        )
        comments.append(
            Comment(
                id=str(conversation.get("id")),
                author=str(author).lower(),
                text=str(conversation.get("body_text") or ""),
                public=not conversation.get("private", False),
                at=parse_time(conversation.get("created_at"), "conversation created_at"),
                files=[
                    f"{a.get('name')} ({a.get('attachment_url')})"
                    for a in conversation.get("attachments") or []
                ],
            )
        )
    custom = {
        str(name).removeprefix("cf_"): str(value)
        for name, value in (ticket.get("custom_fields") or {}).items()
        if value not in (None, "")
    }
    return build(
        source=SOURCE,
        external_id=key,
        where=where,
        number=int(key),
        subject=str(ticket.get("subject") or ""),
        requester=str(requester),
        channel=_channel(ticket.get("source")),
        status=_status(ticket.get("status"), unmapped),
        priority=_priority(ticket.get("priority"), unmapped),
        created_at=created_at,
        updated_at=parse_time(ticket.get("updated_at") or ticket["created_at"], "updated_at"),
        comments=comments,
        group=group,
        assignee=assignee,
        tags=frozenset(map(str, ticket.get("tags") or [])),
        custom_fields=custom,
        participants=frozenset(map(str, ticket.get("cc_emails") or [])),
    )


def _csv_ticket(
    export: FreshdeskExport, where: str, raw: Mapping[str, str], unmapped: Unmapped
) -> SourceTicket:
    row = {str(k).strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
    key = row["ticket id"]
    if not key.isdigit():
        raise ValueError(f"Ticket ID {key[:20]!r} is not a number")
    assignee = None
    if row.get("agent"):
        assignee = unmapped.lookup("agent", export.agent_names, row["agent"].lower())
    created_at = parse_time(row.get("created time"), "Created time")
    requester = row.get("email", "")
    custom = {
        name: value
        for name, value in raw.items()
        if name and name.strip().lower() not in CSV_COLUMNS and value
    }
    return build(
        source=SOURCE,
        external_id=key,
        where=where,
        number=int(key),
        subject=row.get("subject", ""),
        requester=requester,
        channel=_channel(row.get("source")),
        status=_status(row.get("status"), unmapped),
        priority=_priority(row.get("priority"), unmapped),
        created_at=created_at,
        updated_at=parse_time(
            row.get("last updated time") or row["created time"], "Last updated time"
        ),
        comments=[
            Comment(
                id="description",
                author=requester.lower(),
                text=row.get("description", ""),
                public=True,
                at=created_at,
            )
        ],
        group=row.get("group") or None,
        assignee=assignee,
        tags=frozenset(t for t in row.get("tags", "").split(",") if t.strip()),
        custom_fields=custom,
    )

"""A Zendesk export, as its API returns it, read into tickets (``tessera import --from zendesk``).

The directory holds the JSON pages as saved from the API, any file names (``*.json``, or
``*.jsonl`` with one page or one ticket per line); each page is known by its key:

- ``tickets`` (incremental ticket export, ``/api/v2/incremental/tickets``), each ticket may
  carry its ``comments`` (as ``/api/v2/tickets/{id}/comments`` returns them);
- ``ticket_events`` (``/api/v2/incremental/ticket_events?include=comment_events``): the
  ``Comment`` child events are the comments, with their ticket's id and time;
- ``comments`` with a ``ticket_id`` next to it (one ticket's comments page);
- ``users``, ``groups``, ``organizations``, ``ticket_fields`` (id -> email, name, title).

Statuses new/open/pending/hold/solved/closed and priorities low/normal/high/urgent map one to
one; a comment's ``public`` flag makes a public reply or an internal note; its plain body is
taken (never its HTML). The ticket keeps its Zendesk id as its number when that number is free.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tessera.errors import TesseraError
from tessera.portability.importing import RecordError, SourceTicket
from tessera.portability.records import parse_time
from tessera.portability.sources import Comment, Unmapped, build, json_files, unknown_person
from tessera.tickets.model import Channel, Priority, Status

SOURCE = "zendesk"

STATUSES = {
    "new": Status.NEW,
    "open": Status.OPEN,
    "pending": Status.PENDING,
    "hold": Status.ON_HOLD,
    "solved": Status.SOLVED,
    "closed": Status.CLOSED,
}
PRIORITIES = {
    "low": Priority.LOW,
    "normal": Priority.NORMAL,
    "high": Priority.HIGH,
    "urgent": Priority.URGENT,
}
CHANNELS = {
    "email": Channel.EMAIL,
    "web": Channel.PORTAL,
    "web_form": Channel.PORTAL,
    "api": Channel.API,
    "voice": Channel.PHONE,
}


@dataclass
class ZendeskExport:
    tickets: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    comments: dict[str, list[tuple[dict[str, Any], str | None]]] = field(default_factory=dict)
    users: dict[Any, dict[str, Any]] = field(default_factory=dict)
    groups: dict[Any, str] = field(default_factory=dict)
    organizations: dict[Any, str] = field(default_factory=dict)
    fields: dict[Any, str] = field(default_factory=dict)
    errors: list[RecordError] = field(default_factory=list)


def load(directory: Path) -> ZendeskExport:
    export = ZendeskExport()
    for found in json_files(directory):
        if isinstance(found, RecordError):
            export.errors.append(found)
            continue
        name, page = found
        if not isinstance(page, dict):
            export.errors.append(RecordError(name, "not a Zendesk API page (an object)"))
            continue
        if "subject" in page and "id" in page:  # one ticket per line
            page = {"tickets": [page]}
        for ticket in page.get("tickets") or []:
            export.tickets.append((f"{name}: ticket {ticket.get('id')}", ticket))
            for comment in ticket.get("comments") or []:
                export.comments.setdefault(str(ticket.get("id")), []).append((comment, None))
        if "comments" in page and "ticket_id" in page:
            for comment in page["comments"] or []:
                export.comments.setdefault(str(page["ticket_id"]), []).append((comment, None))
        for event in page.get("ticket_events") or []:
            for child in event.get("child_events") or []:
                if child.get("event_type") == "Comment":
                    ticket_id = str(event.get("ticket_id"))
                    export.comments.setdefault(ticket_id, []).append(
                        (child, event.get("created_at"))
                    )
        for user in page.get("users") or []:
            export.users[user.get("id")] = user
        for group in page.get("groups") or []:
            export.groups[group.get("id")] = str(group.get("name"))
        for organization in page.get("organizations") or []:
            export.organizations[organization.get("id")] = str(organization.get("name"))
        for ticket_field in page.get("ticket_fields") or []:
            export.fields[ticket_field.get("id")] = str(ticket_field.get("title"))
    return export


def read(directory: Path, unmapped: Unmapped) -> Iterator[SourceTicket | RecordError]:
    """Every ticket of the export (the latest copy of each, as incremental pages repeat a
    ticket that changed), or why it could not be read."""
    export = load(directory)
    yield from export.errors
    latest: dict[str, tuple[str, dict[str, Any]]] = {}
    for where, ticket in export.tickets:
        key = str(ticket.get("id"))
        if key not in latest or str(ticket.get("updated_at")) >= str(
            latest[key][1].get("updated_at")
        ):
            latest[key] = (where, ticket)
    for key, (where, ticket) in latest.items():
        try:
            yield _ticket(export, key, where, ticket, unmapped)
        except TesseraError as error:
            yield RecordError(where, str(error))
        except (TypeError, ValueError, AttributeError) as error:
            yield RecordError(where, f"unreadable: {error}")


def _email(export: ZendeskExport, person: Any) -> str | None:
    user = export.users.get(person)
    email = user.get("email") if user else None
    return str(email).lower() if email else None


def _ticket(
    export: ZendeskExport, key: str, where: str, ticket: Mapping[str, Any], unmapped: Unmapped
) -> SourceTicket:
    if ticket.get("status") == "deleted":
        raise ValueError("a deleted ticket")
    status = STATUSES.get(str(ticket.get("status")))
    if status is None:
        unmapped.note("status", ticket.get("status"))
        status = Status.OPEN
    priority = PRIORITIES.get(str(ticket.get("priority")))
    if priority is None:
        if ticket.get("priority") is not None:
            unmapped.note("priority", ticket.get("priority"))
        priority = Priority.NORMAL
    requester = _email(export, ticket.get("requester_id"))
    if requester is None:
        raise ValueError(f"requester {ticket.get('requester_id')} has no email in users")
    assignee = None
    if ticket.get("assignee_id") is not None:
        assignee = _email(export, ticket["assignee_id"])
        if assignee is None:
            unmapped.note("assignee", ticket["assignee_id"])
    group = unmapped.lookup("group", export.groups, ticket.get("group_id"))
    custom: dict[str, str] = {}
    for entry in ticket.get("custom_fields") or []:
        value = entry.get("value")
        if value in (None, "", []):
            continue
        name = export.fields.get(entry.get("id"))
        if name is None:
            unmapped.note("custom field", entry.get("id"))
            name = f"zendesk-{entry.get('id')}"
        custom[name] = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    organization = unmapped.lookup(
        "organization", export.organizations, ticket.get("organization_id")
    )
    if organization:
        custom["organization"] = organization
    channel_name = str((ticket.get("via") or {}).get("channel") or "")
    channel = CHANNELS.get(channel_name, Channel.OTHER)
    created_at = parse_time(ticket.get("created_at"), "created_at")
    comments = []
    for comment, at in export.comments.get(key, []):
        author = _email(export, comment.get("author_id")) or unknown_person(
            SOURCE, comment.get("author_id")
        )
        comments.append(
            Comment(
                id=str(comment.get("id")),
                author=author,
                text=str(comment.get("plain_body") or comment.get("body") or ""),
                public=bool(comment.get("public", True)),
                at=parse_time(comment.get("created_at") or at, "comment created_at"),
                files=[
                    f"{a.get('file_name')} ({a.get('content_url')})"
                    for a in comment.get("attachments") or []
                ],
            )
        )
    if not comments and ticket.get("description"):
        comments.append(
            Comment(
                id="description",
                author=requester,
                text=str(ticket["description"]),
                public=True,
                at=created_at,
            )
        )
    participants = frozenset(
        e for e in (_email(export, p) for p in ticket.get("collaborator_ids") or []) if e
    )
    locale = str((export.users.get(ticket.get("requester_id")) or {}).get("locale") or "")
    return build(
        source=SOURCE,
        external_id=key,
        where=where,
        number=int(ticket["id"]),
        subject=str(ticket.get("subject") or ticket.get("raw_subject") or ""),
        requester=requester,
        channel=channel,
        status=status,
        priority=priority,
        created_at=created_at,
        updated_at=parse_time(ticket.get("updated_at") or ticket["created_at"], "updated_at"),
        comments=comments,
        group=group,
        assignee=assignee,
        tags=frozenset(map(str, ticket.get("tags") or [])),
        custom_fields=custom,
        participants=participants,
        language=locale.split("-")[0].lower() or None,
    )

"""Tickets, messages and events as the plain JSON records of the export format, and back.

The format (``tessera-export`` version 1, docs/data-export.md) is one JSON object per line; each
object's ``record`` says what it is. Times are ISO-8601 UTC; every field of the model is kept, so
an export read back gives the same tickets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tessera.errors import ValidationFailed
from tessera.tickets.model import (
    Attachment,
    Channel,
    Event,
    Message,
    MessageKind,
    Priority,
    Status,
    Ticket,
)

FORMAT = "tessera-export"
VERSION = 1

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def stable_id(at: datetime, *parts: object) -> str:
    """A ULID whose time is ``at`` and whose randomness is a hash of ``parts``: the same source
    record always gets the same id, so a second import finds what the first one wrote."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()[:10]
    value = int(at.timestamp() * 1000) << 80 | int.from_bytes(digest, "big")
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return "".join(reversed(chars))


def parse_time(value: Any, name: str) -> datetime:
    """An ISO-8601 time (``Z`` or an offset) as an aware UTC datetime; naive times are UTC."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(name, "must be an ISO-8601 time")
    text = value.strip().replace(" UTC", "Z")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(name, f"is not an ISO-8601 time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# ------------------------------------------------------------------------------ to records


def ticket_record(ticket: Ticket) -> dict[str, Any]:
    snapshot = ticket.snapshot()
    for name in ("created_at", "updated_at", "due_at", "routing_since"):
        snapshot[name] = _time(getattr(ticket, name))
    return {"record": "ticket", **snapshot}


def message_record(message: Message) -> dict[str, Any]:
    return {
        "record": "message",
        "ticket_id": message.ticket_id,
        "id": message.id,
        "kind": message.kind.value,
        "author": message.author,
        "text": message.text,
        "html": message.html,
        "attachments": [attachment_record(a) for a in message.attachments],
        "mail_message_id": message.mail_message_id,
        "created_at": _time(message.created_at),
        "from_staff": message.from_staff,
        "author_name": message.author_name,
    }


def attachment_record(attachment: Attachment) -> dict[str, Any]:
    return {
        "key": attachment.key,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "content_id": attachment.content_id,
    }


def event_record(event: Event) -> dict[str, Any]:
    return {
        "record": "event",
        "ticket_id": event.ticket_id,
        "id": event.id,
        "actor": event.actor,
        "action": event.action,
        "reason": event.reason,
        "changes": {name: [old, new] for name, (old, new) in event.changes.items()},
        "at": _time(event.at),
    }


# ---------------------------------------------------------------------------- from records


def _field(record: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = record.get(name)
    if not isinstance(value, kind):
        what = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ValidationFailed(name, f"must be {what}")
    return value


def ticket_from_record(record: Mapping[str, Any]) -> Ticket:
    """Raises ValidationFailed naming the field."""
    try:
        channel = Channel(str(record.get("channel")))
        status = Status(str(record.get("status")))
        priority = Priority(str(record.get("priority")))
    except ValueError as error:
        raise ValidationFailed("status/priority/channel", str(error)) from None
    optional = {
        name: record.get(name)
        for name in ("group", "assignee", "language", "mailbox", "due_what", "requester_name")
    }
    for name, value in optional.items():
        if value is not None and not isinstance(value, str):
            raise ValidationFailed(name, "must be a string or null")
    due_at, routing_since = record.get("due_at"), record.get("routing_since")
    return Ticket(
        id=_field(record, "id", str),
        number=_field(record, "number", int),
        subject=_field(record, "subject", str),
        requester=_field(record, "requester", str),
        channel=channel,
        status=status,
        priority=priority,
        tags=frozenset(_field(record, "tags", list)),
        custom_fields=dict(_field(record, "custom_fields", dict)),
        participants=frozenset(_field(record, "participants", list)),
        sla=dict(record.get("sla") or {}),
        due_at=None if due_at is None else parse_time(due_at, "due_at"),
        routing_since=None if routing_since is None else parse_time(routing_since, "routing"),
        routing_attempts=int(record.get("routing_attempts") or 0),
        created_at=parse_time(record.get("created_at"), "created_at"),
        updated_at=parse_time(record.get("updated_at"), "updated_at"),
        version=int(record.get("version") or 0),
        **optional,
    )


def message_from_record(record: Mapping[str, Any]) -> Message:
    try:
        kind = MessageKind(str(record.get("kind")))
    except ValueError:
        raise ValidationFailed("kind", "must be public, internal or system") from None
    attachments = tuple(
        Attachment(
            key=_field(a, "key", str),
            filename=_field(a, "filename", str),
            content_type=_field(a, "content_type", str),
            size=_field(a, "size", int),
            content_id=a.get("content_id"),
        )
        for a in _field(record, "attachments", list)
    )
    return Message(
        ticket_id=_field(record, "ticket_id", str),
        id=_field(record, "id", str),
        kind=kind,
        author=_field(record, "author", str),
        text=_field(record, "text", str),
        html=str(record.get("html") or ""),
        attachments=attachments,
        mail_message_id=record.get("mail_message_id"),
        created_at=parse_time(record.get("created_at"), "created_at"),
        from_staff=bool(record.get("from_staff")),
        author_name=record.get("author_name"),  # absent from older exports; cleaned by Message
    )


def event_from_record(record: Mapping[str, Any]) -> Event:
    changes = _field(record, "changes", dict)
    if not all(isinstance(v, list) and len(v) == 2 for v in changes.values()):
        raise ValidationFailed("changes", "must map fields to [old, new]")
    return Event(
        ticket_id=_field(record, "ticket_id", str),
        id=_field(record, "id", str),
        actor=_field(record, "actor", str),
        action=_field(record, "action", str),
        reason=str(record.get("reason") or ""),
        changes={name: (old, new) for name, (old, new) in changes.items()},
        at=parse_time(record.get("at"), "at"),
    )

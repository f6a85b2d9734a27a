"""Request validation and response shapes of the HTTP API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tessera.errors import ValidationFailed
from tessera.ports import Thread
from tessera.tickets import Event, Message, Ticket

MAX_PAGE = 100
DEFAULT_PAGE = 25


@dataclass(frozen=True)
class LoginBody:
    email: str
    password: str

    @classmethod
    def parse(cls, body: Any) -> LoginBody:
        if not isinstance(body, Mapping):
            raise ValidationFailed("body", "must be a JSON object")
        email, password = body.get("email"), body.get("password")
        if not isinstance(email, str) or "@" not in email:
            raise ValidationFailed("email", "must be an email address")
        if not isinstance(password, str) or not password:
            raise ValidationFailed("password", "is required")
        unknown = set(body) - {"email", "password"}
        if unknown:
            raise ValidationFailed(sorted(unknown)[0], "is not a known field")
        return cls(email=email.strip().lower(), password=password)


def page_params(query: Mapping[str, str]) -> tuple[int, str | None]:
    raw = query.get("limit", str(DEFAULT_PAGE))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise ValidationFailed("limit", f"must be a whole number from 1 to {MAX_PAGE}")
    cursor = query.get("cursor") or None
    return int(raw), cursor


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    return ticket.snapshot()


def message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "kind": message.kind.value,
        "author": message.author,
        "text": message.text,
        "html": message.html,
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size}
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


def thread_json(thread: Thread) -> dict[str, Any]:
    return {
        **ticket_json(thread.ticket),
        "messages": [message_json(m) for m in thread.messages],
        "events": [event_json(e) for e in thread.events],
    }

"""``privacy export`` and ``privacy erase`` of one requester (the CLI and the admin API).

Both find the requester's tickets the way their own portal list does: one Query of
``ByRequester`` per page (the tickets they asked and the ones they follow), then each ticket's
partition; never a Scan. Erasing keeps every ticket and its audit trail, with the person taken
out: their address becomes an alias that can never receive mail (``erased-<id>@erased.invalid``),
what they wrote and what was written to them is replaced by ``[erased]``, their files and the
raw MIME of their mail (``Message.raw_key``, in the raw-mail bucket) are deleted, the items
kept under their address (bounces, automatic-response windows, rate counters) are deleted,
and a ``privacy.erased`` event without personal data records it. A second erase finds nothing
under the address and does nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from tessera.errors import Conflict, ValidationFailed
from tessera.portability.records import event_record, message_record, ticket_record
from tessera.ports import ArchiveStore, AttachmentStore, RawMailStore, TicketRepository
from tessera.tickets.model import Event, Message, MessageKind, new_id

ERASED = "[erased]"
ALIAS_DOMAIN = "erased.invalid"
PAGE = 100
ERASE_ATTEMPTS = 5  # a ticket being routed as it is erased changes a few times, then settles


@dataclass(frozen=True)
class Erasure:
    """What an erase changed."""

    alias: str
    tickets: int
    messages: int
    files: int
    items: int
    notifications: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "alias": self.alias,
            "tickets": self.tickets,
            "messages": self.messages,
            "files": self.files,
            "items": self.items,
            "notifications": self.notifications,
        }


def requester_address(value: Any) -> str:
    """The address asked for, lower-cased; ValidationFailed naming ``email`` otherwise."""
    if not isinstance(value, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value.strip()):
        raise ValidationFailed("email", "must be an email address")
    return value.strip().lower()


def _ticket_ids(tickets: TicketRepository, email: str) -> Iterator[str]:
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        page = tickets.involving(email, limit=PAGE, cursor=cursor)
        for ticket in page.items:
            if ticket.id not in seen:
                seen.add(ticket.id)
                yield ticket.id
        cursor = page.cursor
        if cursor is None:
            return


def export_requester(
    tickets: TicketRepository, archive: ArchiveStore, email: str
) -> dict[str, Any]:
    """Everything held about ``email``: the tickets they asked (with every message and event)
    and follow (with the public messages and their own), and the keys of the other items kept
    under their address."""
    email = requester_address(email)
    found = []
    for ticket_id in _ticket_ids(tickets, email):
        thread = archive.thread(ticket_id)
        own = thread.ticket.requester == email
        messages = [
            m for m in thread.messages if own or m.kind is MessageKind.PUBLIC or m.author == email
        ]
        found.append(
            {
                "ticket": ticket_record(thread.ticket),
                "role": "requester" if own else "participant",
                "messages": [message_record(m) for m in messages],
                "events": [event_record(e) for e in thread.events] if own else [],
            }
        )
    return {
        "email": email,
        "tickets": found,
        "other_items": [{"pk": pk, "sk": sk} for pk, sk in archive.address_items(email)],
    }


def erase_requester(
    tickets: TicketRepository,
    archive: ArchiveStore,
    files: Callable[[], AttachmentStore],
    email: str,
    *,
    actor: str,
    raw_mail: Callable[[], RawMailStore],
) -> Erasure:
    """Take ``email`` out of every ticket and item that holds it (see the module's docstring)."""
    email = requester_address(email)
    alias = f"erased-{new_id().lower()}@{ALIAS_DOMAIN}"
    counts = {"tickets": 0, "messages": 0, "files": 0}
    erased_ids: set[str] = set()
    # Collect first: erasing moves the tickets off the address's index pages being read.
    for ticket_id in list(_ticket_ids(tickets, email)):
        for attempt in range(1, ERASE_ATTEMPTS + 1):
            try:
                _erase_ticket(archive, files, raw_mail, ticket_id, email, alias, actor, counts)
                break
            except Conflict:  # routing or an agent changed it meanwhile: read it again
                if attempt == ERASE_ATTEMPTS:
                    raise
        counts["tickets"] += 1
        erased_ids.add(ticket_id)
    keys = archive.address_items(email)
    archive.delete_items(keys)
    notifications = archive.redact_notifications(erased_ids, subject=ERASED)
    return Erasure(alias=alias, items=len(keys), notifications=notifications, **counts)


def _erase_ticket(
    archive: ArchiveStore,
    files: Callable[[], AttachmentStore],
    raw_mail: Callable[[], RawMailStore],
    ticket_id: str,
    email: str,
    alias: str,
    actor: str,
    counts: dict[str, int],
) -> None:
    """Take ``email`` out of one ticket, adding to ``counts`` the messages and files it erases
    as it goes. The ticket is saved last, refused with Conflict if it changed since it was read;
    what was erased before that stays erased, and a second try finds only what is left."""
    thread = archive.thread(ticket_id)
    ticket = thread.ticket
    own = ticket.requester == email
    messages = []
    for message in thread.messages:
        about = message.author == email or (own and message.kind is MessageKind.PUBLIC)
        if about:
            for attachment in message.attachments:
                files().delete(attachment.key)
                counts["files"] += 1
            if message.raw_key:
                raw_mail().delete(message.raw_key)
                counts["files"] += 1
            messages.append(_redacted(message, email, alias))
            counts["messages"] += 1
        elif _mentions(message.text + message.html, email):
            messages.append(
                replace(
                    message,
                    text=_scrub(message.text, email, alias),
                    html=_scrub(message.html, email, alias),
                )
            )
    events = [_scrubbed_event(e, email, alias, own=own) for e in thread.events]
    events = [e for e, old in zip(events, thread.events, strict=True) if e != old]
    if own:
        ticket.requester = alias
        ticket.requester_name = None
        ticket.subject = ERASED
    # A follower stays one under the alias, so their redacted messages still read as a
    # participant's (tessera.tickets.model.speaker).
    ticket.participants = frozenset(alias if p == email else p for p in ticket.participants)
    ticket.custom_fields = {k: _scrub(v, email, alias) for k, v in ticket.custom_fields.items()}
    erased = Event(
        ticket_id=ticket.id,
        actor=actor,
        action="privacy.erased",
        reason="a requester's personal data was erased",
        changes={"role": (None, "requester" if own else "participant")},
    )
    archive.rewrite(ticket, messages, [*events, erased])
    archive.forget_participant(ticket.id, email)


def _mentions(text: str, email: str) -> bool:
    return email in text.lower()


def _scrub(value: Any, email: str, alias: str) -> Any:
    """``value`` with every occurrence of the address (any case) replaced by the alias."""
    if isinstance(value, str):
        return re.sub(re.escape(email), alias, value, flags=re.IGNORECASE)
    if isinstance(value, list | tuple):
        return [_scrub(v, email, alias) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, email, alias) for k, v in value.items()}
    return value


def _redacted(message: Message, email: str, alias: str) -> Message:
    return replace(
        message,
        author=alias if message.author == email else message.author,
        author_name=None if message.author == email else message.author_name,
        text=ERASED,
        html="",
        attachments=(),
        raw_key=None,
    )


def _scrubbed_event(event: Event, email: str, alias: str, *, own: bool) -> Event:
    changes = {
        name: (_scrub(old, email, alias), _scrub(new, email, alias))
        for name, (old, new) in event.changes.items()
    }
    # Values that were the person's words (the subject as first given) go with them.
    if own and "subject" in changes:
        old, new = changes["subject"]
        changes["subject"] = (None if old is None else ERASED, None if new is None else ERASED)
    return replace(
        event,
        actor=_scrub(event.actor, email, alias),
        reason=_scrub(event.reason, email, alias),
        changes=changes,
    )

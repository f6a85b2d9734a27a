"""Tickets, their messages and their audit events: the helpdesk's core model, free of AWS.

A :class:`Ticket` changes only through :meth:`Ticket.change`, which validates the new values and
returns the :class:`Event` that records who changed what and why. Storage persists the ticket and
its events together, so the audit trail cannot miss a change.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import re
import time
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from tessera.errors import InvalidTransition, ValidationFailed

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id() -> str:
    """A ULID: 26 characters, sortable by creation time, unique without coordination."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return "".join(reversed(chars))


def utcnow() -> datetime:
    return datetime.now(UTC)


class Status(enum.StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on-hold"
    SOLVED = "solved"
    CLOSED = "closed"


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Channel(enum.StrEnum):
    EMAIL = "email"
    PORTAL = "portal"
    API = "api"
    PHONE = "phone"  # opened by an agent for a caller (the first message: the call, as told)
    OTHER = "other"  # opened by an agent for a walk-in, a chat elsewhere, a letter ...


# The audit action of a ticket staff opened for someone without mailing them (``notify``
# false): the routing workflow's acknowledgement then stays silent (tessera.mail.acknowledge).
ACKNOWLEDGEMENT_DECLINED = "acknowledgement.declined"

# Channels staff choose when they open a ticket on a customer's behalf (POST /api/tickets).
STAFF_CHANNELS = (Channel.API, Channel.PHONE, Channel.OTHER)


class MessageKind(enum.StrEnum):
    PUBLIC = "public"  # a reply the requester sees
    INTERNAL = "internal"  # an agents-only note
    SYSTEM = "system"  # written by Tessera itself (auto-acknowledgement, notices)


# A closed ticket is final: follow-ups open a new ticket (as Zendesk and Freshdesk do), so the
# reporting figures of a closed ticket never move again.
_ALLOWED_STATUS_CHANGES: Mapping[Status, frozenset[Status]] = {
    Status.NEW: frozenset(Status) - {Status.NEW},
    Status.OPEN: frozenset(Status) - {Status.NEW, Status.OPEN},
    Status.PENDING: frozenset(Status) - {Status.NEW, Status.PENDING},
    Status.ON_HOLD: frozenset(Status) - {Status.NEW, Status.ON_HOLD},
    Status.SOLVED: frozenset({Status.OPEN, Status.PENDING, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

# Fields :meth:`Ticket.change` may set. Identity, number, requester and timestamps are not here:
# they are fixed at creation or maintained by the ticket itself.
CHANGEABLE_FIELDS = frozenset(
    {"subject", "status", "priority", "group", "assignee", "tags", "custom_fields", "language"}
)


@dataclass(frozen=True)
class Attachment:
    """A file stored in the attachments bucket; ``key`` is its S3 key."""

    key: str
    filename: str
    content_type: str
    size: int
    content_id: str | None = None  # an inline image's Content-ID (the HTML refers to cid:<id>)


@dataclass(frozen=True)
class Message:
    """One entry in a ticket's thread."""

    ticket_id: str
    kind: MessageKind
    author: str  # an email address, or "tessera" for system messages
    text: str
    html: str = ""  # already sanitized; empty when the message had no HTML part
    attachments: tuple[Attachment, ...] = ()
    mail_message_id: str | None = None  # the RFC 5322 Message-ID, for threading replies
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)
    # Mail from a staff member that authenticated, taken as theirs (a reply or a #note by
    # mail, tessera.mail.intake): never an outsider's held mail.
    from_staff: bool = False
    # The raw MIME's key in the raw-mail bucket when the message came by mail: what
    # ``privacy erase`` deletes with the rest of the requester's words.
    raw_key: str | None = None
    # The name the mail's From gave (``Casey Jones <casey@...>``), cleaned by person_name; None
    # when it gave none or the message did not come by mail.
    author_name: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "author_name", person_name(self.author_name))


@dataclass(frozen=True)
class Event:
    """An audit record: who (a person, a rule, a policy, the system) changed what, and why."""

    ticket_id: str
    actor: str  # "agent:alice@example.com", "rule:vip-to-l2", "system:intake", ...
    action: str  # "ticket.created", "ticket.updated", "message.added", ...
    reason: str
    changes: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (old, new)
    id: str = field(default_factory=new_id)
    at: datetime = field(default_factory=utcnow)


@dataclass
class Ticket:
    """A customer's request and everything the helpdesk knows about its state."""

    number: int  # human-friendly (#1042), unique, allocated by storage
    subject: str
    requester: str  # email address, lower-cased
    channel: Channel
    status: Status = Status.NEW
    priority: Priority = Priority.NORMAL
    group: str | None = None
    assignee: str | None = None
    tags: frozenset[str] = frozenset()
    custom_fields: Mapping[str, str] = field(default_factory=dict)
    language: str | None = None
    mailbox: str | None = None  # the support address the ticket came in on
    participants: frozenset[str] = frozenset()  # CC'd addresses who may follow the ticket
    # The next SLA or automation timer; the sweep reads tickets by this (a sparse index).
    due_at: datetime | None = None
    # What falls due at due_at ("first_response-1-1": target, cycle, level; "auto-..."): the
    # sweep names its escalation execution after it. Both are kept by tessera.sla.clocks.
    due_what: str | None = None
    # The SLA state (clocks, records, automations) as JSON-ready data owned by tessera.sla.
    sla: Mapping[str, Any] = field(default_factory=dict)
    # Since when the ticket waits for its routing workflow (set when it is opened, cleared by the
    # workflow's last step); the reconciler starts routing again for one that waited too long.
    routing_since: datetime | None = None
    routing_attempts: int = 0  # starts of the routing workflow the reconciler made
    # The requester's name as their first mail's From gave it (person_name); None when unknown
    # (the console then guesses one from the address, display_name).
    requester_name: str | None = None
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    version: int = 0  # optimistic lock: storage refuses a save from a stale copy

    def __post_init__(self) -> None:
        self.subject = _clean_subject(self.subject)
        self.requester = _clean_address(self.requester, "requester")
        self.requester_name = person_name(self.requester_name)

    def change(self, *, actor: str, reason: str, **values: Any) -> Event:
        """Apply ``values`` and return the audit event describing the change.

        Raises :class:`ValidationFailed` naming the field for an unknown field or bad value, and
        :class:`InvalidTransition` for a status change the lifecycle forbids.
        """
        changes: dict[str, tuple[Any, Any]] = {}
        updates: dict[str, Any] = {}
        for name, raw in values.items():
            if name not in CHANGEABLE_FIELDS:
                raise ValidationFailed(name, "is not a field that can be changed")
            new = _coerce(name, raw)
            old = getattr(self, name)
            if new == old:
                continue
            if name == "status" and new not in _ALLOWED_STATUS_CHANGES[self.status]:
                raise InvalidTransition("status", f"cannot go from {self.status} to {new}")
            changes[name] = (_plain(old), _plain(new))
            updates[name] = new
        for name, new in updates.items():
            setattr(self, name, new)
        if updates:
            self.updated_at = utcnow()
        return Event(
            ticket_id=self.id, actor=actor, action="ticket.updated", reason=reason, changes=changes
        )

    def snapshot(self) -> dict[str, Any]:
        """The ticket as plain JSON-ready values (API responses, events on the bus)."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


def open_ticket(
    *,
    number: int,
    subject: str,
    requester: str,
    channel: Channel,
    actor: str,
    reason: str,
    requester_name: str | None = None,
    **values: Any,
) -> tuple[Ticket, Event]:
    """Create a ticket and the ``ticket.created`` event that opens its audit trail. The
    requester's name stays out of the event: ``privacy erase`` clears it from the ticket, and
    an audit record should not keep a second copy."""
    ticket = Ticket(
        number=number,
        subject=subject,
        requester=requester,
        channel=channel,
        requester_name=requester_name,
    )
    ticket.routing_since = ticket.created_at
    for name, raw in values.items():
        if name not in CHANGEABLE_FIELDS | {"mailbox", "participants"}:
            raise ValidationFailed(name, "is not a field a new ticket can have")
        setattr(ticket, name, _coerce(name, raw))
    created = Event(
        ticket_id=ticket.id,
        actor=actor,
        action="ticket.created",
        reason=reason,
        changes={k: (None, v) for k, v in ticket.snapshot().items() if k in values},
        at=ticket.created_at,
    )
    return ticket, created


def _coerce(name: str, value: Any) -> Any:
    try:
        if name == "status":
            return Status(value)
        if name == "priority":
            return Priority(value)
    except ValueError:
        allowed = ", ".join(m.value for m in (Status if name == "status" else Priority))
        raise ValidationFailed(name, f"must be one of {allowed}") from None
    if name in {"tags", "participants"}:
        if (
            isinstance(value, str)
            or not isinstance(value, Iterable)
            or not all(isinstance(v, str) for v in value)
        ):
            raise ValidationFailed(name, "must be a list of strings")
        if name == "participants":
            return frozenset(_clean_address(v, name) for v in value)
        return frozenset(v.strip().lower() for v in value if v.strip())
    if name == "custom_fields":
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ValidationFailed(name, "must map names to strings")
        return dict(value)
    if name == "subject":
        return _clean_subject(value)
    if name in {"group", "assignee", "language", "mailbox"}:
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ValidationFailed(name, "must be a non-empty string or null")
        return value.strip() if isinstance(value, str) else None
    return value


def _clean_subject(value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationFailed("subject", "must be a string")
    subject = " ".join(value.split())
    return subject[:998] or "(no subject)"


def _clean_address(value: Any, name: str) -> str:
    if not isinstance(value, str) or "@" not in value.strip()[1:-1]:
        raise ValidationFailed(name, "must be an email address")
    return value.strip().lower()


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    return value


Speaker = Literal["requester", "participant", "agent", "outsider", "system"]


def speaker(ticket: Ticket, message: Message) -> Speaker:
    """Who a message of ``ticket`` is from, as its readers should see it. Mail from anyone not
    on the ticket is held as an internal message (tessera.mail.intake): an internal message that
    came by mail is such an outsider's; any other message from someone who is neither the
    requester nor a participant is an agent's (their replies and notes, in the console or by
    authenticated mail)."""
    if message.kind is MessageKind.SYSTEM:
        return "system"
    if message.from_staff:
        return "agent"
    if message.author == ticket.requester:
        return "requester"
    if message.author in ticket.participants:
        return "participant"
    if message.kind is MessageKind.INTERNAL and message.mail_message_id is not None:
        return "outsider"
    return "agent"


PERSON_NAME_MAX = 128
# Format characters a name may need: ZWNJ and ZWJ join or part Persian, Arabic and Indic
# letters. Every other one (bidi overrides, isolates, marks) can reorder what a page shows.
_JOINERS = {"\u200c", "\u200d"}


def person_name(value: Any) -> str | None:
    """A display name from untrusted text (a mail's From): control and bidi characters out,
    whitespace collapsed, quotes around it dropped, at most PERSON_NAME_MAX characters. None
    for nothing left, or for a "name" that holds an address: ``support@example.com
    <eve@evil.test>`` would show a false sender. Pages render it as text, never HTML."""
    if not isinstance(value, str):
        return None
    kept = "".join(
        ch
        for ch in value
        if ch in _JOINERS or unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co"}
    )
    name = " ".join(kept.split()).strip("\"' ")
    if not name or "@" in name:
        return None
    return name[:PERSON_NAME_MAX].rstrip()


def display_name(email: str) -> str:
    """A name to greet or label someone by, from their address (no names are stored):
    ``dana.smith@`` -> Dana Smith."""
    local = email.split("@", 1)[0]
    return " ".join(part.capitalize() for part in re.split(r"[._-]+", local) if part) or email

"""Use cases: what the helpdesk does, in terms of the domain and the ports.

Handlers call these with a :class:`Dependencies` built by :mod:`tessera.bootstrap` (or by a test
with fakes). Nothing here knows about AWS.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from tessera import mail
from tessera.errors import AlreadyExists
from tessera.ports import (
    DueTimer,
    EventPublisher,
    Mailer,
    Page,
    Quarantined,
    RawMailStore,
    Thread,
    TicketRepository,
    Workflow,
)
from tessera.tickets import Channel, Event, Message, MessageKind, Status, open_ticket, utcnow

INTAKE = "system:intake"
ROUTING = "system:routing"


@dataclass
class Dependencies:
    """Everything a use case may touch. Built lazily: a handler only pays for what it uses."""

    tickets: TicketRepository
    raw_mail: Callable[[], RawMailStore] = field(repr=False)
    workflow: Callable[[], Workflow] = field(repr=False)
    mailer: Callable[[], Mailer] = field(repr=False)
    events: Callable[[], EventPublisher] = field(repr=False)
    support_addresses: Callable[[], frozenset[str]] = field(repr=False)
    from_address: Callable[[], str] = field(repr=False)


@dataclass(frozen=True)
class MailOutcome:
    result: Literal["created", "reply", "duplicate", "quarantined"]
    ticket_id: str | None = None
    number: int | None = None
    reason: str = ""


# ----------------------------------------------------------------------------- email in
def receive_mail(
    deps: Dependencies, *, key: str, ses_message_id: str, recipients: Sequence[str]
) -> MailOutcome:
    """Turn one stored inbound mail into a new ticket or a reply on its ticket.

    Idempotent: the same delivery twice yields one ticket (the second call reports
    ``duplicate``). A mail that cannot be read is quarantined with the reason; the raw MIME stays
    where SES stored it either way.
    """
    raw = deps.raw_mail().read(key)
    try:
        parsed = mail.parse(raw)
    except mail.UnreadableMail as error:
        deps.tickets.quarantine(Quarantined(key=key, reason=str(error), at=utcnow()))
        return MailOutcome("quarantined", reason=str(error))

    # Without a Message-ID the SES message id stands in, so redelivery is still recognised.
    message_id = parsed.message_id or f"<{ses_message_id}@ses.tessera>"
    existing = deps.tickets.find_by_mail_message_id(message_id)
    if existing is not None:
        deps.workflow().start_routing(existing)  # a retry may have stopped before this
        return MailOutcome("duplicate", ticket_id=existing)

    for answered in parsed.thread_ids:
        ticket_id = deps.tickets.find_by_mail_message_id(answered)
        if ticket_id is not None:
            return _append_reply(deps, ticket_id, parsed, message_id)
    return _open_from_mail(deps, parsed, message_id, _mailbox(deps, recipients, parsed))


def _mailbox(deps: Dependencies, recipients: Sequence[str], parsed: mail.ParsedMail) -> str | None:
    candidates = [r.lower() for r in recipients] + list(parsed.to) + list(parsed.cc)
    return next((a for a in candidates if a in deps.support_addresses()), None)


def _open_from_mail(
    deps: Dependencies, parsed: mail.ParsedMail, message_id: str, mailbox: str | None
) -> MailOutcome:
    participants = [
        a
        for a in (*parsed.to, *parsed.cc)
        if a not in deps.support_addresses() and a != parsed.sender
    ]
    ticket, created = open_ticket(
        number=deps.tickets.next_number(),
        subject=parsed.subject,
        requester=parsed.sender,
        channel=Channel.EMAIL,
        actor=INTAKE,
        reason=f"mail to {mailbox or 'an unknown mailbox'}",
        mailbox=mailbox,
        participants=participants,
    )
    first = Message(
        ticket_id=ticket.id,
        kind=MessageKind.PUBLIC,
        author=parsed.sender,
        text=parsed.text,
        html=parsed.html,
        mail_message_id=message_id,
    )
    try:
        deps.tickets.create(ticket, first, [created])
    except AlreadyExists:
        # A concurrent delivery of the same mail won the race: report its ticket.
        winner = deps.tickets.find_by_mail_message_id(message_id)
        return MailOutcome("duplicate", ticket_id=winner)
    deps.workflow().start_routing(ticket.id)
    deps.events().publish("ticket.created", ticket.snapshot())
    return MailOutcome("created", ticket_id=ticket.id, number=ticket.number)


def _append_reply(
    deps: Dependencies, ticket_id: str, parsed: mail.ParsedMail, message_id: str
) -> MailOutcome:
    ticket = deps.tickets.get(ticket_id)
    reply = Message(
        ticket_id=ticket.id,
        kind=MessageKind.PUBLIC,
        author=parsed.sender,
        text=parsed.text,
        html=parsed.html,
        mail_message_id=message_id,
    )
    events: list[Event] = [
        Event(
            ticket_id=ticket.id,
            actor=INTAKE,
            action="message.added",
            reason=f"mail from {parsed.sender} answering the thread",
        )
    ]
    if ticket.status in {Status.PENDING, Status.SOLVED}:
        events.append(
            ticket.change(actor=INTAKE, reason="the customer replied", status=Status.OPEN)
        )
    try:
        deps.tickets.add_message(ticket, reply, events)
    except AlreadyExists:
        return MailOutcome("duplicate", ticket_id=ticket.id)
    deps.events().publish("ticket.replied", {"id": ticket.id, "number": ticket.number})
    return MailOutcome("reply", ticket_id=ticket.id, number=ticket.number)


# ----------------------------------------------------------------------------- routing workflow
def route(deps: Dependencies, ticket_id: str) -> dict[str, Any]:
    """Choose the ticket's group. Until the rules engine lands, a ticket goes to the group named
    after the mailbox it came in on (``billing@`` -> ``billing``), else ``support``."""
    ticket = deps.tickets.get(ticket_id)
    if ticket.group is None:
        group = ticket.mailbox.split("@", 1)[0] if ticket.mailbox else "support"
        event = ticket.change(
            actor=ROUTING,
            reason=f"default group of mailbox {ticket.mailbox or '(none)'}",
            group=group,
        )
        deps.tickets.save(ticket, [event])
    return {"group": ticket.group}


def assign(deps: Dependencies, ticket_id: str) -> dict[str, Any]:
    """Pick an assignee. No assignment policy exists yet: the ticket waits in its group queue."""
    ticket = deps.tickets.get(ticket_id)
    return {"assignee": ticket.assignee}


def acknowledge(deps: Dependencies, ticket_id: str) -> dict[str, Any]:
    """Send the requester the acknowledgement with the ticket number, once."""
    thread = deps.tickets.thread(ticket_id)
    ticket = thread.ticket
    if ticket.channel is not Channel.EMAIL:
        return {"sent": False, "why": "not an email ticket"}
    if any(m.kind is MessageKind.SYSTEM for m in thread.messages):
        return {"sent": False, "why": "already acknowledged"}
    first = thread.messages[0] if thread.messages else None
    subject = f"[#{ticket.number}] Re: {ticket.subject}"
    text = (
        f"Hello,\n\nwe have received your request and opened ticket #{ticket.number}.\n"
        "Reply to this mail to add to it.\n\n-- Support\n"
    )
    headers = {"Auto-Submitted": "auto-replied", "X-Tessera-Ticket": str(ticket.number)}
    if first is not None and first.mail_message_id:
        headers["In-Reply-To"] = first.mail_message_id
        headers["References"] = first.mail_message_id
    sent_id = deps.mailer().send(
        sender=ticket.mailbox or deps.from_address(),
        to=[ticket.requester],
        subject=subject,
        text=text,
        headers=headers,
    )
    note = Message(ticket_id=ticket.id, kind=MessageKind.SYSTEM, author="tessera", text=text)
    event = Event(
        ticket_id=ticket.id,
        actor=ROUTING,
        action="message.added",
        reason=f"acknowledgement sent to {ticket.requester} ({sent_id})",
    )
    deps.tickets.add_message(ticket, note, [event])
    return {"sent": True, "provider_id": sent_id}


def record_routing_failure(deps: Dependencies, ticket_id: str, error: dict[str, Any]) -> None:
    """Put a failed routing step on the ticket's audit trail; the ticket stays in its queue."""
    ticket = deps.tickets.get(ticket_id)
    event = Event(
        ticket_id=ticket.id,
        actor=ROUTING,
        action="routing.failed",
        reason=f"{error.get('Error', 'error')}: {str(error.get('Cause', ''))[:500]}",
    )
    deps.tickets.save(ticket, [event])


# ----------------------------------------------------------------------------- reading
def list_tickets(deps: Dependencies, *, limit: int, cursor: str | None) -> Page:
    return deps.tickets.recent(limit=limit, cursor=cursor)


def ticket_thread(deps: Dependencies, ticket_id: str) -> Thread:
    """A ticket by id, or by number when ``ticket_id`` is digits (``1042``)."""
    if ticket_id.isdigit():
        ticket_id = deps.tickets.get_by_number(int(ticket_id)).id
    return deps.tickets.thread(ticket_id)


def due_timers(deps: Dependencies, now: datetime, *, limit: int = 100) -> Sequence[DueTimer]:
    return deps.tickets.due_timers(now, limit=limit)

"""Inbound mail to tickets and replies: the use case behind the intake function."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from tessera.deps import Dependencies
from tessera.errors import AlreadyExists
from tessera.mail import parse as mail
from tessera.ports import Quarantined
from tessera.tickets import Channel, Event, Message, MessageKind, Status, open_ticket, utcnow

INTAKE = "system:intake"


@dataclass(frozen=True)
class MailOutcome:
    result: Literal["created", "reply", "duplicate", "quarantined"]
    ticket_id: str | None = None
    number: int | None = None
    reason: str = ""


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

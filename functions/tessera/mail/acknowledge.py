"""The acknowledgement a requester gets when their mail opens a ticket."""

from __future__ import annotations

from typing import Any

from tessera.deps import Dependencies
from tessera.tickets import Channel, Event, Message, MessageKind

ACTOR = "system:routing"


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
        actor=ACTOR,
        action="message.added",
        reason=f"acknowledgement sent to {ticket.requester} ({sent_id})",
    )
    deps.tickets.add_message(ticket, note, [event])
    return {"sent": True, "provider_id": sent_id}

"""The acknowledgement a requester gets when a ticket is opened for them (a routing step):
by their mail, in the portal, or by an agent through the API.

Localized (the ticket's language, detected from the mail), with the ticket number in the
subject, the signed thread token, a signed portal link to the ticket, ``Auto-Submitted:
auto-replied`` and a Message-ID intake recognises. Never sent for mail that must not be answered
automatically (intake tags it: see :data:`NO_AUTO_RESPONSE_TAGS`), to an address that bounces, or
past the per-sender cap; each of those decisions is on the audit trail.

The routing workflow is an Express workflow, which may run a ticket's execution twice (at least
once; a repeated start is not refused). The mail is sent once all the same: the step claims
``ack:<ticket id>`` before sending and settles the claim with what happened (sent, with its
Message-ID, or held back, with why) before recording it on the ticket. A run that finds the claim
settled records that outcome without sending (the record of the first run lost a race with an
agent's edit, say); one that finds it still "sending" raises :class:`Conflict`, which the
workflow retries, by which time the other run has recorded it. A run that stopped between sending
and settling leaves "sending" for good: the retries end on the workflow's failure path, the trail
saying so, and nothing is sent twice.
"""

from __future__ import annotations

from typing import Any

from tessera.errors import Conflict
from tessera.mail import outbound, templates
from tessera.mail.outbound import MailNotSent
from tessera.ports import Dependencies
from tessera.tickets.model import ACKNOWLEDGEMENT_DECLINED, Event, Message, MessageKind, Ticket

ACTOR = "system:routing"
CLAIM_SECONDS = 7 * 24 * 3600  # far longer than a workflow's retries
SENDING, SENT, HELD = "sending", "sent", "held"  # the claim's value: what its run got to
# Tags intake puts on tickets whose mail gets no automatic answer.
NO_AUTO_RESPONSE_TAGS = frozenset({"spam", "dmarc-fail", "automated"})


def acknowledge(deps: Dependencies, ticket_id: str) -> dict[str, Any]:
    """Send the requester the acknowledgement with the ticket number, once."""
    thread = deps.tickets.thread(ticket_id)
    ticket = thread.ticket
    if any(m.kind is MessageKind.SYSTEM for m in thread.messages) or any(
        e.action.startswith("acknowledgement.") and e.action != ACKNOWLEDGEMENT_DECLINED
        for e in thread.events
    ):
        return {"sent": False, "why": "already acknowledged"}
    suppressed = sorted(ticket.tags & NO_AUTO_RESPONSE_TAGS)
    declined = next((e for e in thread.events if e.action == ACKNOWLEDGEMENT_DECLINED), None)
    why = f"mail tagged {', '.join(suppressed)}" if suppressed else ""
    if declined is not None and not why:
        why = f"{declined.actor} opened it without notifying the requester"
    language, texts = templates.pick(ticket.language)
    first = thread.messages[0] if thread.messages else None
    sent: tuple[str, str] | None = None
    if not why:
        _, brand = outbound.mailbox_identity(deps, ticket)
        values = {
            "number": ticket.number,
            "subject": ticket.subject,
            "brand": brand or ticket.mailbox or deps.from_address(),
            "link": outbound.portal_link(deps, ticket, ticket.requester),
        }
        sent, why = _send_once(
            deps,
            ticket,
            subject=texts.ack_subject.format(**values),
            text=texts.ack_body.format(**values),
            in_reply_to=first.mail_message_id if first else None,
            rtl=language in templates.RTL,
        )
    ticket.routing_since = None  # the routing workflow's last step: routing is done
    if sent is None:
        event = Event(ticket.id, ACTOR, "acknowledgement.skipped", why)
        deps.tickets.save(ticket, [event])
        return {"sent": False, "why": why}
    message_id, provider_id = sent
    note = Message(
        ticket_id=ticket.id,
        kind=MessageKind.SYSTEM,
        author="tessera",
        text=templates.without_link(texts.ack_body).format(**values),
        mail_message_id=message_id,
    )
    event = Event(
        ticket.id,
        ACTOR,
        "message.added",
        f"acknowledgement ({language}) sent to {ticket.requester} as {message_id} ({provider_id})",
    )
    deps.tickets.add_message(ticket, note, [event])
    return {"sent": True, "provider_id": provider_id, "language": language}


def _send_once(
    deps: Dependencies,
    ticket: Ticket,
    *,
    subject: str,
    text: str,
    in_reply_to: str | None,
    rtl: bool,
) -> tuple[tuple[str, str] | None, str]:
    """Send the acknowledgement unless a run before this one did: (Message-ID, provider id) of
    the mail sent, or None and why it was held back."""
    claim = f"ack:{ticket.id}"
    earlier = deps.nonces().claim(claim, ttl_seconds=CLAIM_SECONDS, value=SENDING)
    if earlier == SENDING:
        raise Conflict(f"ticket {ticket.id}: another run of its routing is acknowledging it")
    if earlier is not None:  # an earlier run sent it (or held it back), then lost its record
        outcome, _, detail = earlier.partition(" ")
        if outcome != SENT:
            return None, detail
        message_id, _, provider_id = detail.partition(" ")
        return (message_id, provider_id), ""
    why = ""
    try:
        sent = outbound.send_automatic(
            deps,
            ticket=ticket,
            to=ticket.requester,
            subject=subject,
            text=text,
            in_reply_to=in_reply_to,
            rtl=rtl,
        )
    except MailNotSent as error:
        sent, why = None, f"sending failed after retries: {error}"
    else:
        if sent is None:
            why = "the address bounces or reached the automatic-response cap"
    settled = f"{SENT} {sent[0]} {sent[1]}" if sent else f"{HELD} {why}"
    deps.nonces().settle(claim, ttl_seconds=CLAIM_SECONDS, value=settled)
    return sent, why

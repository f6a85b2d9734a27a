"""Telling an agent what needs them: a ticket assigned to them, or a customer's reply on a
ticket they have.

Called by the use cases right after the change is stored — routing's assign step
(tessera.routing.workflow), a staff change of the assignee (tessera.tickets.conversation), a
customer's reply through the portal (conversation) or by mail (tessera.mail.intake) — so it
works the same on the local stack and in AWS, with no event-bus consumer to deploy. Each
notification is (a) an item in the agent's console list (``GET /api/me/notifications``), always,
and (b) a mail to the agent unless they switched that kind off (``PATCH /api/me``). The mail
names the ticket number, links the console's ticket page, and threads like our mail to
customers (Reply-To the mailbox, In-Reply-To/References to the thread, the signed thread
token), so the agent's answer by mail becomes their reply on the ticket (docs/email.md).

Nobody is told about their own action, and a notification that fails never fails the change
that caused it (it is logged, and a failed mail is on the ticket's audit trail).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tessera.identity.access import Principal, require_staff
from tessera.mail import outbound
from tessera.mail.parse import strip_quoted
from tessera.observability import logger
from tessera.ports import Dependencies, Notification, NotificationPage
from tessera.tickets.model import Event, MessageKind, Ticket, new_id, utcnow
from tessera.workspace.settings import wants_mail

ACTOR = "system:notifications"
KINDS = ("assigned", "customer_reply")
NOTE_MARKER = "#note"  # first line of an agent's mail that makes it an internal note


@dataclass(frozen=True)
class Told:
    agent: str
    kind: str
    listed: bool
    mailed: bool


def assigned(deps: Dependencies, ticket: Ticket, *, by: str | None) -> Told | None:
    """``ticket`` was just assigned to ``ticket.assignee`` by ``by`` (an address; None: the
    routing workflow)."""
    return _tell(deps, ticket, "assigned", by=by)


def customer_replied(deps: Dependencies, ticket: Ticket, *, by: str) -> Told | None:
    """The requester or a participant (``by``) just replied on ``ticket``."""
    return _tell(deps, ticket, "customer_reply", by=by)


def _tell(deps: Dependencies, ticket: Ticket, kind: str, *, by: str | None) -> Told | None:
    agent = ticket.assignee
    if agent is None or agent == by:
        return None  # nobody to tell, or it was their own doing
    try:
        notification = Notification(
            agent=agent,
            kind=kind,
            ticket_id=ticket.id,
            number=ticket.number,
            subject=ticket.subject,
            at=utcnow(),
            id=new_id(),
        )
        deps.notifications().add(notification)
        mailed = False
        if wants_mail(deps.agent_settings().get(agent), kind):
            mailed = _mail(deps, ticket, notification, by)
        return Told(agent, kind, True, mailed)
    except Exception:  # a notification must never undo or fail the change that caused it
        logger().exception("notification failed", extra={"ticket": ticket.id, "kind": kind})
        return None


def console_link(deps: Dependencies, ticket_id: str) -> str:
    return f"{deps.portal_base_url()}/console/#/tickets/{ticket_id}"


def _mail(deps: Dependencies, ticket: Ticket, notification: Notification, by: str | None) -> bool:
    thread = deps.tickets.thread(ticket.id)
    ids = [m.mail_message_id for m in thread.messages if m.mail_message_id]
    sender, brand = outbound.mailbox_identity(deps, ticket)
    link = console_link(deps, ticket.id)
    if notification.kind == "assigned":
        # What happened first (and not the customers' "[#1042] ..." prefix): the agent's
        # inbox says why it matters, and counts of mail to customers stay true.
        subject = f"Assigned to you: [#{ticket.number}] {ticket.subject}"
        opening = f"Ticket #{ticket.number} from {ticket.requester} is assigned to you"
        opening += f" by {by}." if by else " (routing)."
    else:
        subject = f"{by} replied: [#{ticket.number}] {ticket.subject}"
        opening = f"{by} replied on ticket #{ticket.number}."
    latest = next((m for m in reversed(thread.messages) if m.kind is MessageKind.PUBLIC), None)
    quoted = strip_quoted(latest.text).strip() if latest is not None else ""
    text = "\n\n".join(
        part
        for part in (
            opening,
            f"Open it: {link}",
            f"{latest.author} wrote:\n{quoted}" if latest is not None and quoted else "",
            "Answer this mail to reply to the customer; start with a line "
            f"{NOTE_MARKER} to add an internal note instead.",
        )
        if part
    )
    message_id = outbound.new_message_id(ticket.id, sender)
    # Claimed for the ticket, so the agent's answer threads by its In-Reply-To (even for a
    # ticket whose thread has no mail yet: one opened in the portal).
    deps.tickets.claim_message_id(ticket.id, message_id)
    raw = outbound.compose(
        sender=sender,
        sender_name=brand,
        reply_to=sender,
        to=[notification.agent],
        subject=subject,
        text=text,
        message_id=message_id,
        in_reply_to=ids[-1] if ids else None,
        references=ids,
        token=outbound.thread_token(deps, ticket.id),
        auto_submitted="auto-generated",
    )
    try:
        outbound.send_with_retries(deps, sender=sender, to=[notification.agent], message=raw)
    except outbound.MailNotSent as error:
        failed = Event(
            ticket.id,
            ACTOR,
            "notification.failed",
            f"{notification.kind} mail to {notification.agent} not sent: {error}",
        )
        deps.tickets.record(ticket.id, [failed])
        return False
    return True


# ------------------------------------------------------------------ the agent's own list
def listing(
    deps: Dependencies, principal: Principal, *, limit: int, cursor: str | None = None
) -> NotificationPage:
    """The caller's notifications, newest first, with the unread count."""
    require_staff(principal)
    return deps.notifications().page(principal.email, limit=limit, cursor=cursor)


def mark_read(
    deps: Dependencies,
    principal: Principal,
    *,
    ids: Sequence[str] = (),
    everything: bool = False,
) -> int:
    """Mark the caller's notifications ``ids`` (or all) read; the unread count after."""
    require_staff(principal)
    store = deps.notifications()
    if everything:
        store.mark_all_read(principal.email)
    elif ids:
        store.mark_read(principal.email, ids)
    return deps.agent_settings().get(principal.email).unread

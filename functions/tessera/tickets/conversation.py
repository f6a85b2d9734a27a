"""What people do with tickets through the API: open one, reply, note, change, rate.

Every action finds the ticket through :func:`tessera.tickets.reading.find_ticket` (which checks
visibility), writes the change and its audit events in one save (optimistic locking:
``expected_version`` from If-Match), and puts a lifecycle event on the bus for integrations.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from tessera.errors import Conflict, Forbidden, PreconditionFailed, ValidationFailed
from tessera.identity.access import Principal, require_staff
from tessera.mail import outbound
from tessera.mail.parse import sanitize_html
from tessera.ports import Dependencies
from tessera.sla import clocks as sla_clocks
from tessera.tickets import reading
from tessera.tickets.fields import Fields
from tessera.tickets.model import (
    ACKNOWLEDGEMENT_DECLINED,
    STAFF_CHANNELS,
    Attachment,
    Channel,
    Event,
    Message,
    MessageKind,
    Status,
    Ticket,
    open_ticket,
    utcnow,
)
from tessera.workspace import notifications


class TooManyOpenTickets(Conflict):
    """The requester has as many open tickets as one may (the ``mail-filters`` limit)."""


@dataclass(frozen=True)
class Rating:
    score: int  # 1 (bad) .. 5 (great)
    comment: str


def _check_version(ticket: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and ticket.version != expected_version:
        raise PreconditionFailed(f"ticket is at version {ticket.version}, not {expected_version}")


def _check_fields(deps: Dependencies, values: Mapping[str, str], principal: Principal) -> None:
    """Custom fields against their definitions (the ``fields`` config), when there are any."""
    definitions: Fields | None = deps.config().get("fields")
    if definitions is not None:
        definitions.check(values, by_customer=not principal.is_staff)


def _open_ticket_limit(deps: Dependencies) -> int:
    from tessera.mail.filters import MailFilters

    limits: MailFilters = deps.config().get("mail-filters") or MailFilters()
    return limits.open_tickets_per_requester


def _publish(deps: Dependencies, detail_type: str, ticket: Ticket, **extra: Any) -> None:
    deps.events().publish(detail_type, {**ticket.snapshot(), **extra})


def create_ticket(
    deps: Dependencies,
    principal: Principal,
    *,
    subject: str,
    body: str,
    requester: str | None = None,
    priority: str | None = None,
    custom_fields: Mapping[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
    channel: str | None = None,
    notify: bool | None = None,
) -> Ticket:
    """A ticket from the portal (a customer for themself) or the API (staff, for anyone).
    ``attachments`` (checked by :func:`tessera.tickets.attachments.uploaded_for_new_ticket`)
    ride on its first message.

    Staff opening a ticket on a customer's behalf say how the customer came (``channel``:
    ``api``, the default, ``phone`` or ``other``) and whether the customer is mailed the
    acknowledgement (``notify``, default no: they are on the phone or at the desk). A phone or
    other ticket's first message is the customer's request as the agent took it down: a public
    message of the requester; the agent is on the audit trail. Customers set neither."""
    if requester is not None and not principal.is_staff and requester != principal.email:
        raise Forbidden("customers open tickets for themselves only")
    if not principal.is_staff and channel is not None:
        raise ValidationFailed("channel", "is set by staff only (customers: the portal)")
    if not principal.is_staff and notify is not None:
        raise ValidationFailed("notify", "is set by staff only (customers are always mailed)")
    if principal.is_staff:
        allowed = ", ".join(c.value for c in STAFF_CHANNELS)
        try:
            staff_channel = Channel(channel or Channel.API)
        except ValueError:
            raise ValidationFailed("channel", f"must be one of {allowed}") from None
        if staff_channel not in STAFF_CHANNELS:
            raise ValidationFailed("channel", f"must be one of {allowed}")
    if principal.ticket_scope is not None:
        raise Forbidden("a ticket link session can only see its own ticket")
    if not principal.is_staff:  # one limit for every channel (mail: tessera.mail.intake)
        limit = _open_ticket_limit(deps)
        if reading.open_tickets_of(deps, principal.email, limit) >= limit:
            raise TooManyOpenTickets(
                f"you have {limit} open tickets; add to one of them, or wait for an answer"
            )
    values: dict[str, Any] = {}
    if priority is not None:
        values["priority"] = priority
    definitions: Fields | None = deps.config().get("fields")
    if definitions is not None:
        definitions.check_required(custom_fields or {}, by_customer=not principal.is_staff)
    if custom_fields:
        _check_fields(deps, custom_fields, principal)
        values["custom_fields"] = dict(custom_fields)
    ticket_channel = staff_channel if principal.is_staff else Channel.PORTAL
    on_behalf = ticket_channel in (Channel.PHONE, Channel.OTHER)
    if not principal.is_staff:
        reason = "opened through the portal"
    elif on_behalf:
        reason = (
            f"opened by {principal.email} for {requester or principal.email} "
            f"({ticket_channel.value}); the first message is the request as they took it down"
        )
    else:
        reason = "opened through the API"
    ticket, created = open_ticket(
        number=deps.tickets.next_number(),
        subject=subject,
        requester=requester or principal.email,
        channel=ticket_channel,
        actor=principal.actor,
        reason=reason,
        **values,
    )
    first = Message(
        ticket_id=ticket.id,
        kind=MessageKind.PUBLIC,
        author=ticket.requester if on_behalf else principal.email,
        text=body,
        attachments=tuple(attachments),
    )
    events = [created, *sla_clocks.refresh(deps, ticket, trigger="created", now=utcnow())]
    if principal.is_staff and not notify:
        events.append(
            Event(
                ticket_id=ticket.id,
                actor=principal.actor,
                action=ACKNOWLEDGEMENT_DECLINED,
                reason="opened by staff with notify false: the requester is not mailed",
            )
        )
    deps.tickets.create(ticket, first, events)
    deps.workflow().start_routing(ticket.id)
    _publish(deps, "ticket.created", ticket)
    return ticket


def reply(
    deps: Dependencies,
    principal: Principal,
    ticket_id: str,
    *,
    text: str,
    html: str = "",
    status: str | None = None,
    expected_version: int | None = None,
    attachments: Sequence[Attachment] = (),
    by_mail: str | None = None,
) -> Ticket:
    """A public reply. A customer's reply opens the ticket again (and tells the assignee); an
    agent's reply waits on the customer (pending) unless the agent chooses another status, and
    is mailed to the requester. ``attachments`` are files already checked by
    :func:`tessera.tickets.attachments.uploaded`. ``by_mail`` is the Message-ID of the staff
    member's own mail this reply came in (tessera.mail.intake), claimed with it."""
    if status is not None and not principal.is_staff:
        raise Forbidden("customers cannot set the status")

    def write(ticket: Ticket) -> tuple[Message, Status]:
        if ticket.status is Status.CLOSED:
            raise ValidationFailed("ticket", "is closed; open a new ticket instead")
        before = ticket.status
        if principal.is_staff:
            message = outbound.prepare_reply(
                deps,
                ticket,
                author=principal.email,
                text=text,
                html=html or None,
                attachments=attachments,
            )
            if by_mail is not None:
                message = dataclasses.replace(message, from_staff=True)
        else:
            message = Message(
                ticket_id=ticket.id,
                kind=MessageKind.PUBLIC,
                author=principal.email,
                text=text,
                html=sanitize_html(html) if html else "",
                attachments=tuple(attachments),
            )
        events = [
            Event(
                ticket_id=ticket.id,
                actor=principal.actor,
                action="message.added",
                reason="reply by mail" if by_mail else "reply",
            )
        ]
        new_status = status or (Status.PENDING if principal.is_staff else Status.OPEN)
        if new_status != ticket.status:
            events.append(ticket.change(actor=principal.actor, reason="reply", status=new_status))
        trigger: sla_clocks.Trigger = "agent_reply" if principal.is_staff else "customer_message"
        events += sla_clocks.refresh(deps, ticket, trigger=trigger, now=utcnow())
        claims = [by_mail] if by_mail else []
        deps.tickets.add_message(ticket, message, events, claims=claims)
        return message, before

    ticket, (message, before) = _with_retries(deps, principal, ticket_id, expected_version, write)
    if principal.is_staff:
        outbound.mail_reply(deps, ticket.id, message, actor=principal.actor)
    _after_status_change(deps, ticket, before, previous_assignee=ticket.assignee)
    _publish(deps, "ticket.replied", ticket, by=principal.actor)
    if not principal.is_staff:
        notifications.customer_replied(deps, ticket, by=principal.email)
    return ticket


def _after_status_change(
    deps: Dependencies, ticket: Ticket, before: Status, *, previous_assignee: str | None
) -> None:
    """What a saved change sets in motion: a reopened ticket may be routed again (the rules'
    on_reopen decides), and an agent whose ticket was solved, closed or taken away has one
    open ticket fewer for least-loaded assignment."""
    done = {Status.SOLVED, Status.CLOSED}
    if before is Status.SOLVED and ticket.status not in done:
        deps.workflow().start_routing(ticket.id, reopening=ticket.version)
    if before in done or previous_assignee is None:
        return
    if ticket.status in done or ticket.assignee != previous_assignee:
        deps.agent_loads().release(previous_assignee)


T = TypeVar("T")
RETRY_SECONDS = 20.0  # how long one request keeps retrying lost races (API Gateway waits 29 s)
BACKOFF_SECONDS = 0.02  # the first retry's longest wait; it doubles, with full jitter, ...
BACKOFF_CAP_SECONDS = 0.25  # ... up to this, so a writer that lost early is not starved


def _with_retries(
    deps: Dependencies,
    principal: Principal,
    ticket_id: str,
    expected_version: int | None,
    write: Callable[[Ticket], T],
) -> tuple[Ticket, T]:
    """Read the ticket and ``write`` to it. Without an If-Match version the caller's intent does
    not depend on what else changed (the routing workflow may be saving the same ticket), so a
    lost race is retried on a fresh read, after a short random wait so racing writers spread
    out, for up to :data:`RETRY_SECONDS` (a busy ticket has many writers, each winning in turn);
    with one, the mismatch is the caller's to resolve: PreconditionFailed, as if the other write
    had come first."""
    deadline = time.monotonic() + RETRY_SECONDS
    attempt = 0
    while True:
        ticket = reading.find_ticket(deps, principal, ticket_id)
        _check_version(ticket, expected_version)
        try:
            return ticket, write(ticket)
        except Conflict as lost:
            if expected_version is not None:
                raise PreconditionFailed(
                    f"ticket changed since version {expected_version}"
                ) from lost
            if time.monotonic() >= deadline:
                raise
            longest = min(BACKOFF_CAP_SECONDS, BACKOFF_SECONDS * 2**attempt)
            time.sleep(random.uniform(0, longest))  # noqa: S311 - jitter, not a secret
            attempt += 1


def note(
    deps: Dependencies,
    principal: Principal,
    ticket_id: str,
    *,
    text: str,
    by_mail: str | None = None,
) -> Ticket:
    """An internal note: staff only, never shown to customers, never mailed. ``by_mail`` is
    the Message-ID of the staff member's mail it came in (``#note``, tessera.mail.intake)."""
    require_staff(principal)

    def write(ticket: Ticket) -> None:
        message = Message(
            ticket_id=ticket.id,
            kind=MessageKind.INTERNAL,
            author=principal.email,
            text=text,
            mail_message_id=by_mail,
            from_staff=by_mail is not None,
        )
        event = Event(
            ticket_id=ticket.id,
            actor=principal.actor,
            action="note.added",
            reason="note by mail" if by_mail else "note",
        )
        events = [event, *sla_clocks.refresh(deps, ticket, trigger="changed", now=utcnow())]
        deps.tickets.add_message(ticket, message, events)

    ticket, _ = _with_retries(deps, principal, ticket_id, None, write)
    return ticket


def update(
    deps: Dependencies,
    principal: Principal,
    ticket_id: str,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None,
    reason: str = "",
) -> Ticket:
    """Change fields (status, priority, group, assignee, tags, custom fields) as staff; a
    customer may only mark their ticket solved or reopen a solved one."""

    def write(ticket: Ticket) -> tuple[Event, tuple[Status, str | None]]:
        if not principal.is_staff:  # checked after visibility: a stranger gets 404 first
            if set(changes) - {"status"}:
                raise Forbidden("customers can only change the status")
            if changes.get("status") not in {Status.SOLVED.value, Status.OPEN.value}:
                raise ValidationFailed("status", "customers can mark solved or reopen only")
        before = (ticket.status, ticket.assignee)
        if "custom_fields" in changes:
            _check_fields(deps, changes["custom_fields"], principal)
        event = ticket.change(actor=principal.actor, reason=reason or "edited", **changes)
        if event.changes:
            sla_events = sla_clocks.refresh(deps, ticket, trigger="changed", now=utcnow())
            deps.tickets.save(ticket, [event, *sla_events])
        return event, before

    ticket, (event, (status_before, assignee_before)) = _with_retries(
        deps, principal, ticket_id, expected_version, write
    )
    if not event.changes:
        return ticket
    _after_status_change(deps, ticket, status_before, previous_assignee=assignee_before)
    solved = event.changes.get("status", (None, None))[1] == Status.SOLVED.value
    detail_type = "ticket.solved" if solved else "ticket.updated"
    _publish(deps, detail_type, ticket, changes={k: list(v) for k, v in event.changes.items()})
    if "assignee" in event.changes and ticket.assignee is not None:
        notifications.assigned(deps, ticket, by=principal.email)
    return ticket


def rate(deps: Dependencies, principal: Principal, ticket_id: str, rating: Rating) -> Ticket:
    """The requester's satisfaction rating of a solved ticket (latest rating counts)."""
    if not 1 <= rating.score <= 5:
        raise ValidationFailed("score", "must be 1 to 5")

    def write(ticket: Ticket) -> None:
        if principal.email != ticket.requester:
            raise Forbidden("only the requester rates a ticket")
        if ticket.status not in {Status.SOLVED, Status.CLOSED}:
            raise ValidationFailed("status", "only solved tickets can be rated")
        event = Event(
            ticket_id=ticket.id,
            actor=principal.actor,
            action="ticket.rated",
            reason=rating.comment[:1000],
            changes={"rating": (None, rating.score)},
        )
        deps.tickets.save(ticket, [event])

    ticket, _ = _with_retries(deps, principal, ticket_id, None, write)
    _publish(deps, "ticket.rated", ticket, score=rating.score)
    return ticket

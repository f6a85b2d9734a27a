"""Merging a duplicate ticket into another (agents).

The duplicate's messages stay where they are; the target gets an internal message that quotes
the duplicate's public thread (with its files, so they stay reachable from the target) and its
requester as a participant. The duplicate is closed with a system message linking the target.
Both audit trails record the merge (``ticket.merged`` on the duplicate, ``ticket.merged_in`` on
the target), and ``ticket.merged`` goes on the bus.

The tickets are saved one after the other (a DynamoDB transaction here covers one ticket's
items), each on a fresh read: the target first, then the link on the duplicate, then the
duplicate's closing (through :func:`tessera.tickets.conversation.update`, so its SLA timers stop
and its assignee's load drops). A failure in between leaves the duplicate open and the merge can
be repeated; once it is closed a repeat is refused.
"""

from __future__ import annotations

from collections.abc import Callable

from tessera.errors import Conflict, NotFound, ValidationFailed
from tessera.identity.access import Principal, require_staff
from tessera.ports import Dependencies
from tessera.tickets import conversation, reading
from tessera.tickets.model import Event, Message, MessageKind, Status, Ticket


def merge(
    deps: Dependencies, principal: Principal, duplicate_id: str, into: str, *, reason: str = ""
) -> tuple[Ticket, Ticket]:
    """Merge ``duplicate_id`` into ``into`` (ids or numbers); (duplicate, target) as saved."""
    require_staff(principal)
    duplicate = reading.find_ticket(deps, principal, duplicate_id)
    try:
        target = reading.find_ticket(deps, principal, into)
    except NotFound:
        raise ValidationFailed("into", "no such ticket") from None
    if duplicate.id == target.id:
        raise ValidationFailed("into", "is the ticket itself")
    if duplicate.status is Status.CLOSED:
        raise ValidationFailed("ticket", "is closed; a closed ticket cannot be merged")
    if target.status is Status.CLOSED:
        raise ValidationFailed("into", "is closed; merge into an open ticket")
    why = reason or f"duplicate of #{target.number}"
    thread = deps.tickets.thread(duplicate.id)
    public = [m for m in thread.messages if m.kind is not MessageKind.INTERNAL]
    quoted = "\n\n".join(
        f"{m.author} wrote on {m.created_at:%Y-%m-%d %H:%M}:\n{m.text}" for m in public
    )
    carried = Message(
        ticket_id=target.id,
        kind=MessageKind.INTERNAL,
        author=principal.email,
        text=f"Merged from #{duplicate.number} ({duplicate.subject}):\n\n{quoted}",
        attachments=tuple(a for m in public for a in m.attachments),
    )

    def write_target(ticket: Ticket) -> None:
        events = [
            Event(
                ticket.id,
                principal.actor,
                "ticket.merged_in",
                why,
                changes={"merged_from": (None, duplicate.id)},
            )
        ]
        if duplicate.requester != ticket.requester:
            events.append(
                _add_participant(ticket, duplicate.requester, principal, duplicate.number)
            )
        deps.tickets.add_message(ticket, carried, events)

    def write_duplicate(ticket: Ticket) -> None:
        link = Message(
            ticket_id=ticket.id,
            kind=MessageKind.SYSTEM,
            author="tessera",
            text=f"Merged into #{target.number} ({target.subject}). Follow the conversation there.",
        )
        merged = Event(
            ticket.id,
            principal.actor,
            "ticket.merged",
            why,
            changes={"merged_into": (None, target.id)},
        )
        deps.tickets.add_message(ticket, link, [merged])

    target = _on_fresh_read(deps, target.id, write_target)
    _on_fresh_read(deps, duplicate.id, write_duplicate)
    # Closing is the ticket lifecycle's own change: SLA timers stop, the assignee's load drops.
    duplicate = conversation.update(
        deps,
        principal,
        duplicate.id,
        {"status": Status.CLOSED.value},
        expected_version=None,
        reason=why,
    )
    deps.events().publish(
        "ticket.merged",
        {**duplicate.snapshot(), "into": target.id, "into_number": target.number},
    )
    return duplicate, target


def _on_fresh_read(
    deps: Dependencies, ticket_id: str, write: Callable[[Ticket], None], attempts: int = 3
) -> Ticket:
    """Read the ticket and ``write`` to it, again on a fresh read when a concurrent save (the
    routing workflow, an SLA step) won: a merge does not depend on the fields they change."""
    for attempt in range(attempts):
        ticket = deps.tickets.get(ticket_id)
        try:
            write(ticket)
        except Conflict:
            if attempt == attempts - 1:
                raise
        else:
            return ticket
    raise AssertionError("unreachable")


def _add_participant(target: Ticket, address: str, principal: Principal, number: int) -> Event:
    """Participants are not a changeable field (they come from mail Cc), so the merge sets them
    itself and records the change."""
    before = sorted(target.participants)
    target.participants = target.participants | {address}
    return Event(
        target.id,
        principal.actor,
        "ticket.updated",
        f"requester of merged #{number}",
        changes={"participants": (before, sorted(target.participants))},
    )

"""The steps of the routing state machine (infra/statemachines/routing.asl.json)."""

from __future__ import annotations

from typing import Any

from tessera.deps import Dependencies
from tessera.mail.acknowledge import acknowledge
from tessera.tickets import Event

ROUTING = "system:routing"

__all__ = ["ROUTING", "acknowledge", "assign", "record_routing_failure", "route"]


def route(deps: Dependencies, ticket_id: str) -> dict[str, Any]:
    """Choose the ticket's group: the group of the mailbox it came in on (mailboxes config);
    for a mailbox not configured, the group named after it (``help@`` -> ``help``)."""
    ticket = deps.tickets.get(ticket_id)
    if ticket.group is None:
        mailboxes = deps.config().get("mailboxes")
        mailbox = mailboxes.get(ticket.mailbox) if mailboxes else None
        if mailbox is not None:
            group, reason = mailbox.group, f"group of mailbox {mailbox.address} (mailboxes config)"
        else:
            group = ticket.mailbox.split("@", 1)[0] if ticket.mailbox else "support"
            reason = f"mailbox {ticket.mailbox or '(none)'} is not configured: default group"
        event = ticket.change(actor=ROUTING, reason=reason, group=group)
        deps.tickets.save(ticket, [event])
    return {"group": ticket.group}


def assign(deps: Dependencies, ticket_id: str) -> dict[str, Any]:
    """Pick an assignee. No assignment policy exists yet: the ticket waits in its group queue."""
    ticket = deps.tickets.get(ticket_id)
    return {"assignee": ticket.assignee}


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

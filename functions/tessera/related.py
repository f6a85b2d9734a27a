"""What an agent reading a ticket wants beside it: the requester's other tickets."""

from __future__ import annotations

from tessera import conversation
from tessera.access import Principal, require_staff
from tessera.deps import Dependencies
from tessera.ports import Page


def requester_history(
    deps: Dependencies, principal: Principal, ticket_id: str, *, limit: int, cursor: str | None
) -> Page:
    """The requester's other tickets, newest first: one Query per page on the requester index
    (the ticket itself is left out, so a page may hold one fewer than ``limit``)."""
    require_staff(principal)
    ticket = conversation.find_ticket(deps, principal, ticket_id)
    page = deps.tickets.requested_by(ticket.requester, limit=limit, cursor=cursor)
    return Page(items=[t for t in page.items if t.id != ticket.id], cursor=page.cursor)

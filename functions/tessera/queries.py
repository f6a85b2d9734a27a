"""Reading tickets: the lists and the thread the API serves."""

from __future__ import annotations

from tessera.deps import Dependencies
from tessera.ports import Page, Thread


def list_tickets(deps: Dependencies, *, limit: int, cursor: str | None) -> Page:
    return deps.tickets.recent(limit=limit, cursor=cursor)


def ticket_thread(deps: Dependencies, ticket_id: str) -> Thread:
    """A ticket by id, or by number when ``ticket_id`` is digits (``1042``)."""
    if ticket_id.isdigit():
        ticket_id = deps.tickets.get_by_number(int(ticket_id)).id
    return deps.tickets.thread(ticket_id)

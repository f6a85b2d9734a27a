"""Reading tickets: the lists and the thread the API serves."""

from __future__ import annotations

from tessera.access import Principal, require_staff
from tessera.deps import Dependencies
from tessera.errors import ValidationFailed
from tessera.ports import Page, Thread
from tessera.tickets import Status

# A customer's tabs, by the statuses they hold.
CUSTOMER_TABS = {
    "open": frozenset({Status.NEW, Status.OPEN, Status.ON_HOLD}),
    "awaiting": frozenset({Status.PENDING}),  # awaiting the customer's reply
    "closed": frozenset({Status.SOLVED, Status.CLOSED}),
}


def resolve_id(deps: Dependencies, ticket_id: str) -> str:
    """A ticket's id from its id, or from its number when ``ticket_id`` is digits (``1042``)."""
    if ticket_id.isdigit():
        return deps.tickets.get_by_number(int(ticket_id)).id
    return ticket_id


def ticket_thread(deps: Dependencies, ticket_id: str) -> Thread:
    """A ticket's thread, by id or number (no visibility check: the CLI and workflow steps)."""
    return deps.tickets.thread(resolve_id(deps, ticket_id))


def view(
    deps: Dependencies,
    principal: Principal,
    *,
    view: str,
    group: str | None,
    status: str,
    limit: int,
    cursor: str | None,
    priority: str | None = None,
) -> Page:
    """The agents' views: every ticket; mine (assigned to me) in one status; a group's queue in
    one status, or only its unassigned tickets; each optionally narrowed to one priority. Each
    page is one Query on one index; "unassigned" and a priority filter the page (so a page may
    hold fewer than ``limit``: follow the cursor to the end)."""
    require_staff(principal)
    if view == "all":
        page = deps.tickets.recent(limit=limit, cursor=cursor)
    elif view == "mine":
        page = deps.tickets.assigned(
            assignee=principal.email, status=Status(status), limit=limit, cursor=cursor
        )
    else:
        if group is None:
            raise ValidationFailed("group", f"is required for view={view}")
        page = deps.tickets.queue(group=group, status=Status(status), limit=limit, cursor=cursor)
    items = [
        t
        for t in page.items
        if (view != "unassigned" or t.assignee is None)
        and (priority is None or t.priority.value == priority)
    ]
    return Page(items=items, cursor=page.cursor)


def mine(
    deps: Dependencies, principal: Principal, *, tab: str, limit: int, cursor: str | None
) -> Page:
    """A customer's tickets in one tab. One Query per page on the requester index, filtered to
    the tab, so a page may hold fewer than ``limit`` tickets; follow the cursor to the end.
    A staff member sees the tickets they requested themselves."""
    if principal.ticket_scope is not None:
        ticket = deps.tickets.get(principal.ticket_scope)
        items = [ticket] if ticket.status in CUSTOMER_TABS[tab] else []
        return Page(items=items, cursor=None)
    page = deps.tickets.requested_by(principal.email, limit=limit, cursor=cursor)
    statuses = CUSTOMER_TABS[tab]
    return Page(items=[t for t in page.items if t.status in statuses], cursor=page.cursor)

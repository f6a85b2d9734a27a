"""Reading tickets: one ticket or its thread as a caller may see it, the agents' views, a
customer's tabs, and the requester's other tickets.

Every use case that takes a ticket id from a caller finds the ticket through
:func:`find_ticket`, the one lookup that checks visibility.
"""

from __future__ import annotations

from tessera.errors import NotFound, ValidationFailed
from tessera.identity.access import Principal, require_staff, visible
from tessera.ports import Dependencies, Page, Thread
from tessera.tickets.model import MessageKind, Status, Ticket

NO_SUCH_TICKET = "no such ticket"

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


def find_ticket(deps: Dependencies, principal: Principal, ticket_id: str) -> Ticket:
    """The ticket by id or number, if the principal may see it. A ticket that does not exist
    and one the principal may not see raise the same NotFound, message included."""
    try:
        return visible(principal, deps.tickets.get(resolve_id(deps, ticket_id)))
    except NotFound:
        raise NotFound(NO_SUCH_TICKET) from None


def thread_for(deps: Dependencies, principal: Principal, ticket_id: str) -> Thread:
    """A ticket's thread as the principal may see it: customers get the public messages and no
    audit trail; staff get everything."""
    thread = deps.tickets.thread(find_ticket(deps, principal, ticket_id).id)
    if principal.is_staff:
        return thread
    public = [m for m in thread.messages if m.kind is not MessageKind.INTERNAL]
    return Thread(ticket=thread.ticket, messages=public, events=[])


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
    page = deps.tickets.involving(principal.email, limit=limit, cursor=cursor)
    statuses = CUSTOMER_TABS[tab]
    return Page(items=[t for t in page.items if t.status in statuses], cursor=page.cursor)


def requester_history(
    deps: Dependencies, principal: Principal, ticket_id: str, *, limit: int, cursor: str | None
) -> Page:
    """What an agent reading a ticket wants beside it: the requester's other tickets, newest
    first. One Query per page on the requester index (the ticket itself is left out, so a page
    may hold one fewer than ``limit``)."""
    require_staff(principal)
    ticket = find_ticket(deps, principal, ticket_id)
    page = deps.tickets.requested_by(ticket.requester, limit=limit, cursor=cursor)
    return Page(items=[t for t in page.items if t.id != ticket.id], cursor=page.cursor)


def open_tickets_of(deps: Dependencies, requester: str, limit: int) -> int:
    """How many of the requester's tickets are not solved or closed, counted up to about
    ``limit`` (one Query page on the requester index: enough to tell whether it is reached)."""
    page = deps.tickets.requested_by(requester, limit=min(max(limit * 2, 10), 100))
    return sum(1 for t in page.items if t.status not in {Status.SOLVED, Status.CLOSED})


def customer_fields(deps: Dependencies) -> frozenset[str]:
    """The custom fields a customer sees on their tickets: those the ``fields`` config lets them
    set (none without one)."""
    from tessera.tickets.fields import Fields

    definitions: Fields | None = deps.config().get("fields")
    return definitions.customer_visible if definitions is not None else frozenset()

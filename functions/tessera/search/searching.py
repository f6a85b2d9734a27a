"""Searching tickets as a principal: staff search every ticket; a customer only those they
requested or follow, and only what they may read there — both as conditions of the index's own
query, so counts, snippets and pages never show another customer's ticket."""

from __future__ import annotations

import re
from dataclasses import replace

from tessera.errors import NotFound, ValidationFailed
from tessera.identity.access import Principal
from tessera.ports import TicketRepository
from tessera.search.model import (
    Fragment,
    Hit,
    SearchFilters,
    SearchIndex,
    SearchRequest,
    SearchResult,
)
from tessera.search.query import parse

_CURSOR_PREFIX = "s"
MAX_OFFSET = 1000


def cursor_of(offset: int | None) -> str | None:
    return None if offset is None or offset >= MAX_OFFSET else f"{_CURSOR_PREFIX}{offset}"


def offset_of(cursor: str | None) -> int:
    if cursor is None:
        return 0
    digits = cursor[len(_CURSOR_PREFIX) :]
    if not cursor.startswith(_CURSOR_PREFIX) or not digits.isdigit() or int(digits) > MAX_OFFSET:
        raise ValidationFailed("cursor", "is not a cursor of this search")
    return int(digits)


_BARE_NUMBER = re.compile(r"#?(\d{1,9})")


def search_tickets(
    index: SearchIndex,
    principal: Principal,
    request: SearchRequest,
    tickets: TicketRepository | None = None,
) -> SearchResult:
    """One page of ``request`` as ``principal`` may see it. With ``tickets``, staff searching
    for a number alone (``1042`` or ``#1042``, no filters) find the ticket with that number
    first even before the index has it: the console's ``/`` box opens the ticket a search
    for its number finds, and a ticket opened a second ago is not indexed yet."""
    if parse(request.text).empty:
        raise ValidationFailed("q", "has no word to search for")
    if not principal.is_staff:
        request = replace(request, customer=principal.email, only_ticket=principal.ticket_scope)
    result = index.search(request)
    if tickets is None or not principal.is_staff:
        return result
    return _numbered_first(result, index, tickets, request)


def _numbered_first(
    result: SearchResult, index: SearchIndex, tickets: TicketRepository, request: SearchRequest
) -> SearchResult:
    number = _BARE_NUMBER.fullmatch(request.text.strip())
    # Filters and later pages are the index's alone: the ticket looked up may not pass them.
    if number is None or request.offset or request.filters != SearchFilters():
        return result
    try:
        ticket = tickets.get_by_number(int(number.group(1)))
    except NotFound:
        return result
    found = [hit for hit in result.hits if hit.ticket_id == ticket.id]
    if found:  # ranked below a ticket that merely mentions the number: first all the same
        others = [hit for hit in result.hits if hit.ticket_id != ticket.id]
        return replace(result, hits=[*found, *others])
    hit = Hit(
        ticket_id=ticket.id,
        number=ticket.number,
        subject=ticket.subject,
        status=ticket.status.value,
        updated_at=ticket.updated_at,
        score=0.0,
        source="people",
        snippet=(Fragment(str(ticket.number), True),),
    )
    # On a later page of this search it is counted already (and shown there again: a page one
    # longer than asked, rather than cut, so no other ticket falls between two pages); not
    # indexed yet, it is one more.
    indexed = index.search(SearchRequest(f"#{ticket.number}", limit=1)).total > 0
    return replace(result, hits=[hit, *result.hits], total=result.total + (0 if indexed else 1))

"""Searching tickets as a principal: staff search every ticket; a customer only those they
requested or follow, and only what they may read there — both as conditions of the index's own
query, so counts, snippets and pages never show another customer's ticket."""

from __future__ import annotations

from dataclasses import replace

from tessera.errors import ValidationFailed
from tessera.identity.access import Principal
from tessera.search.model import SearchIndex, SearchRequest, SearchResult
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


def search_tickets(
    index: SearchIndex, principal: Principal, request: SearchRequest
) -> SearchResult:
    """One page of ``request`` as ``principal`` may see it."""
    if parse(request.text).empty:
        raise ValidationFailed("q", "has no word to search for")
    if not principal.is_staff:
        request = replace(request, customer=principal.email, only_ticket=principal.ticket_scope)
    return index.search(request)

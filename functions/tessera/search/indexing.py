"""Keeping the index fresh from the tickets table's changes, and rebuilding it.

A change to any item of a ticket (the ticket, a message, an event) makes the indexer read that
ticket's thread once and put its whole document: documents are per ticket, so an index segment
holds complete tickets and a newer one simply replaces an older one's. A ticket deleted, or
merged into another, is removed. Replaying a batch puts the same documents again (idempotent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from tessera.errors import NotFound
from tessera.ports import TicketRepository
from tessera.search.model import (
    DOCUMENT_EVENTS,
    IndexStats,
    SearchDocument,
    SearchIndex,
    document,
)

TICKET_PREFIX = "T#"


def touched_tickets(keys: Iterable[dict[str, object]]) -> list[str]:
    """The ticket ids whose ticket item or messages these changed keys are, in order of first
    change. Presence heartbeats, participations and audit events change nothing searchable
    (a save that matters writes the ticket item too)."""
    seen: dict[str, None] = {}
    for key in keys:
        pk, sk = str(key.get("pk", "")), str(key.get("sk", ""))
        if pk.startswith(TICKET_PREFIX) and (sk == "#TICKET" or sk.startswith("M#")):
            seen.setdefault(pk[len(TICKET_PREFIX) :], None)
    return list(seen)


def refresh(tickets: TicketRepository, index: SearchIndex, ticket_ids: Sequence[str]) -> IndexStats:
    """Put the current document of each ticket (one thread read each); remove those gone or
    merged."""
    documents: list[SearchDocument] = []
    removed: list[str] = []
    for ticket_id in ticket_ids:
        try:
            found = document(tickets.thread(ticket_id, events=DOCUMENT_EVENTS))
        except NotFound:
            found = None
        if found is None:
            removed.append(ticket_id)
        else:
            documents.append(found)
    if not documents and not removed:
        return IndexStats(0, 0, 0, 0)
    return index.put(documents, removed)


def every_document(
    tickets: TicketRepository,
    *,
    progress: Callable[[int], None] | None = None,
    page_size: int = 100,
) -> Iterator[SearchDocument]:
    """Every ticket's document, newest first, for a rebuild (reads every ticket: an admin job,
    never a request path); ``progress`` hears the count so far after each page."""
    cursor: str | None = None
    done = 0
    while True:
        page = tickets.recent(limit=page_size, cursor=cursor)
        for ticket in page.items:
            found = document(tickets.thread(ticket.id, events=DOCUMENT_EVENTS))
            if found is not None:
                yield found
            done += 1
        if progress is not None:
            progress(done)
        cursor = page.cursor
        if cursor is None:
            return

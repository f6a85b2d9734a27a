"""Per-hour aggregates, kept from tickets' changes and read by the reports.

Each ticket's applied contributions are stored beside the aggregates with a revision. Applying a
change reads the ticket's thread, computes what it contributes now (tessera.reports.metrics),
and writes the difference from what was applied, together with the new contributions and a
revision conditional on the one read, in one transaction. A replayed or duplicated stream record
therefore changes nothing (the difference is empty), records out of order end in the same state
(the thread is read as it is now), and a rebuild is the same operation over every ticket: the
incremental aggregates and a rebuild cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from tessera.errors import Conflict, NotFound
from tessera.ports import TicketRepository
from tessera.reports.metrics import Contributions, contributions, difference, facts, ticket_ids
from tessera.sla.policies import SlaConfig

# One transaction holds at most 100 items: the ticket's own record and 99 others. A larger
# difference is written as two transactions: take all of the old out, then put all of the new in
# (each within the limit: a ticket counts in at most MAX_HOURS hours of 8 dimensions and
# MAX_TAGS tags, tessera.reports.metrics).
MAX_WRITE = 99
ATTEMPTS = 5


@dataclass(frozen=True)
class Applied:
    revision: int
    contributions: Contributions


class AggregateStore(Protocol):
    """Where the aggregates live (the tickets table: tessera.adapters.dynamodb.reports)."""

    def applied(self, ticket_id: str) -> Applied | None:
        """What the reports last counted of the ticket, and its revision."""

    def write(
        self,
        ticket_id: str,
        *,
        seen: int | None,
        applied: Contributions,
        counters: Mapping[str, Mapping[str, int]],
        put: Mapping[str, Mapping[str, Any]],
        delete: Iterable[str],
    ) -> None:
        """Atomically: add ``counters`` (``<hour>|<dimension>|<value>`` -> name -> n), put and
        delete listed documents, and record ``applied`` as the ticket's contributions at
        revision ``seen + 1``. :class:`Conflict` if the ticket's revision is no longer ``seen``
        (None: none recorded)."""

    def hours(
        self, dimension: str, start: str, end: str
    ) -> Iterator[tuple[str, str, Mapping[str, int]]]:
        """``(hour, value, counters)`` of one dimension for ``start <= hour < end``."""

    def docs(
        self, kind: str, start: str, end: str, *, newest_first: bool = False
    ) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """``(key, document)`` of one kind (``C``: CSAT comments; ``L|created``, ``L|solved``,
        ``L|reopened``: the tickets behind a number) for hours ``start <= hour < end``, in hour
        order (``newest_first``: the reverse, read page by page so a caller that stops early
        reads no further)."""


def _negated(counters: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    return {key: {name: -n for name, n in counts.items()} for key, counts in counters.items()}


def apply(store: AggregateStore, new: Contributions, ticket_id: str) -> bool:
    """Bring the aggregates to ``new`` for one ticket; True if anything changed."""
    for _ in range(ATTEMPTS):
        stored = store.applied(ticket_id)
        seen = stored.revision if stored else None
        old = stored.contributions if stored else Contributions()
        delta = difference(old, new)
        put = {key: doc for key, doc in new.docs.items() if old.docs.get(key) != doc}
        delete = [key for key in old.docs if key not in new.docs]
        if not delta and not put and not delete:
            return False
        try:
            if len(delta) + len(put) + len(delete) <= MAX_WRITE:
                store.write(
                    ticket_id, seen=seen, applied=new, counters=delta, put=put, delete=delete
                )
            else:
                store.write(
                    ticket_id,
                    seen=seen,
                    applied=Contributions(),
                    counters=_negated(old.counters),
                    put={},
                    delete=list(old.docs),
                )
                store.write(
                    ticket_id,
                    seen=(seen or 0) + 1,
                    applied=new,
                    counters=new.counters,
                    put=new.docs,
                    delete=[],
                )
            return True
        except Conflict:
            continue  # another writer counted the ticket meanwhile: read again
    raise Conflict(f"the reports of ticket {ticket_id} kept changing")


def count_ticket(
    store: AggregateStore, tickets: TicketRepository, config: SlaConfig | None, ticket_id: str
) -> bool:
    """Count one ticket as it is now (its thread read once)."""
    try:
        thread = tickets.thread(ticket_id)
    except NotFound:
        return False
    return apply(store, contributions(facts(thread, config)), ticket_id)


def update_from_changes(
    store: AggregateStore,
    tickets: TicketRepository,
    config: SlaConfig | None,
    keys: Iterable[Mapping[str, Any]],
) -> int:
    """The reports' side of the change feed: every ticket whose items a batch changed (``keys``:
    the changed items' keys, tessera.adapters.change_feed) counted again, once per batch.
    Returns how many tickets' numbers moved."""
    return sum(count_ticket(store, tickets, config, i) for i in ticket_ids(keys))


@dataclass(frozen=True)
class RebuildResult:
    read: int
    changed: int


def rebuild(
    store: AggregateStore,
    tickets: TicketRepository,
    config: SlaConfig | None,
    *,
    since: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    page_size: int = 100,
) -> RebuildResult:
    """Count every ticket created since ``since`` (all without) again: for history, or after a
    definition changed. The only full read of tickets in the reports; a batch job."""
    read = changed = 0
    cursor: str | None = None
    while True:
        page = tickets.recent(limit=page_size, cursor=cursor)
        for ticket in page.items:
            if since is not None and ticket.created_at < since:
                return RebuildResult(read, changed)
            read += 1
            changed += count_ticket(store, tickets, config, ticket.id)
        if progress is not None:
            progress(read, changed)
        cursor = page.cursor
        if cursor is None:
            return RebuildResult(read, changed)

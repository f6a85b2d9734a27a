"""Per-hour aggregates, kept from tickets' changes and read by the reports.

Each ticket's applied contributions are stored beside the aggregates with a revision. Applying a
change reads the ticket's thread, computes what it contributes now (tessera.reports.metrics),
and writes the difference from what was applied, together with the new contributions and a
revision conditional on the one read, in one transaction. A replayed or duplicated stream record
therefore changes nothing (the difference is empty), records out of order end in the same state
(the thread is read as it is now), and a rebuild is the same operation over every ticket: the
incremental aggregates and a rebuild cannot disagree.

The tickets of one batch of the change feed (or one page of a rebuild) are written together:
their revisions read in one call, then their threads, and as many tickets as fit in one
transaction, the increments of a counter they share added up into one update (a burst of new
tickets mostly shares its hour's counters). Revisions are read before threads, so a ticket
whose revision moved meanwhile was counted by another writer from a thread at least as new;
it cancels its transaction, and each ticket of it is counted alone again, thread and all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from tessera.errors import Conflict, NotFound
from tessera.ports import TicketRepository
from tessera.reports.metrics import Contributions, contributions, difference, facts, ticket_ids
from tessera.sla.policies import SlaConfig

# One transaction holds at most 100 items (:func:`items`). A ticket whose difference is larger is
# written as two transactions: take all of the old out, then put all of the new in (each within
# the limit: a ticket counts in at most MAX_HOURS hours of its dimensions and MAX_TAGS tags,
# tessera.reports.metrics). Its other limit, 4 MB, is out of reach: an #APPLIED record is at most
# a few tens of KB, and tickets that large fill the 100 items first.
MAX_ITEMS = 100
ATTEMPTS = 5


@dataclass(frozen=True)
class Applied:
    revision: int
    contributions: Contributions


@dataclass(frozen=True)
class TicketWrite:
    """One ticket's change of the aggregates: ``counters`` added (``<hour>|<dimension>|<value>``
    -> name -> n), documents put and deleted, and ``applied`` recorded as what is counted of the
    ticket at revision ``seen + 1``, on condition that it is still at ``seen``."""

    ticket_id: str
    seen: int | None
    applied: Contributions
    counters: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    put: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    delete: Sequence[str] = ()


def added(writes: Iterable[TicketWrite]) -> dict[str, dict[str, int]]:
    """The counter increments of ``writes`` added up, one entry per counter; what adds up to
    nothing is left out."""
    total: dict[str, dict[str, int]] = {}
    for write in writes:
        for key, counts in write.counters.items():
            bucket = total.setdefault(key, {})
            for name, n in counts.items():
                bucket[name] = bucket.get(name, 0) + n
    kept = {key: {n: v for n, v in counts.items() if v} for key, counts in total.items()}
    return {key: counts for key, counts in kept.items() if counts}


def items(writes: Sequence[TicketWrite]) -> int:
    """How many items one transaction of ``writes`` writes: each ticket's own record, each
    counter they change, each document."""
    return len(writes) + len(added(writes)) + sum(len(w.put) + len(w.delete) for w in writes)


class AggregateStore(Protocol):
    """Where the aggregates live (the tickets table: tessera.adapters.dynamodb.reports)."""

    def applied(self, ticket_ids: Sequence[str]) -> Mapping[str, Applied]:
        """What the reports last counted of each ticket, and its revision (a ticket never
        counted is left out)."""

    def write(self, writes: Sequence[TicketWrite]) -> None:
        """Atomically, for every write (at most one per ticket): add its ``counters``, put and
        delete its listed documents, and record ``applied`` as the ticket's contributions at
        revision ``seen + 1``. The caller keeps :func:`items` within one transaction.
        :class:`Conflict` if any ticket's revision is no longer its ``seen`` (None: none
        recorded); then nothing is written."""

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


# A ticket's contributions as it is now (its thread read); None: the ticket is gone.
Counting = Callable[[str], Contributions | None]


def _negated(counters: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    return {key: {name: -n for name, n in counts.items()} for key, counts in counters.items()}


def _change(ticket_id: str, stored: Applied | None, new: Contributions) -> TicketWrite | None:
    """What brings the aggregates from ``stored`` to ``new`` for one ticket; None: nothing."""
    seen = stored.revision if stored else None
    old = stored.contributions if stored else Contributions()
    delta = difference(old, new)
    put = {key: doc for key, doc in new.docs.items() if old.docs.get(key) != doc}
    delete = [key for key in old.docs if key not in new.docs]
    if not delta and not put and not delete:
        return None
    return TicketWrite(ticket_id, seen, new, delta, put, delete)


def _write_one(store: AggregateStore, stored: Applied | None, change: TicketWrite) -> None:
    """One ticket's change; too large for one transaction, in two: all of the old out, then all
    of the new in."""
    if items([change]) <= MAX_ITEMS:
        store.write([change])
        return
    old = stored.contributions if stored else Contributions()
    out = _negated(old.counters)
    store.write([TicketWrite(change.ticket_id, change.seen, Contributions(), out, {}, [*old.docs])])
    new = change.applied
    store.write(
        [TicketWrite(change.ticket_id, (change.seen or 0) + 1, new, new.counters, new.docs)]
    )


def _count_alone(store: AggregateStore, ticket_id: str, now: Counting) -> bool:
    """Count one ticket: its revision read, then its thread, and the difference written on
    condition of the revision; on a conflict all of it again. True if its numbers moved."""
    for _ in range(ATTEMPTS):
        stored = store.applied([ticket_id]).get(ticket_id)
        new = now(ticket_id)
        change = None if new is None else _change(ticket_id, stored, new)
        if change is None:
            return False
        try:
            _write_one(store, stored, change)
            return True
        except Conflict:
            continue  # another writer counted the ticket meanwhile: read again
    raise Conflict(f"the reports of ticket {ticket_id} kept changing")


def apply_all(store: AggregateStore, ticket_ids: Iterable[str], now: Counting) -> int:
    """Bring the aggregates of many tickets to what ``now`` says each contributes: their
    revisions read at once (before ``now`` reads their threads, so that a conflict means
    another writer counted a state at least as new as ours), then as many tickets in each
    transaction as fit. A conflict sends the transaction's tickets through
    :func:`_count_alone`, each read again. Returns how many tickets' numbers moved."""
    ids = list(dict.fromkeys(ticket_ids))
    stored = store.applied(ids)
    moved = 0
    group: list[TicketWrite] = []
    for ticket_id in ids:
        new = now(ticket_id)
        change = None if new is None else _change(ticket_id, stored.get(ticket_id), new)
        if change is None:
            continue
        if items([change]) > MAX_ITEMS:
            moved += _write_together(store, [change], now, stored)
        elif items([*group, change]) <= MAX_ITEMS:
            group.append(change)
        else:
            moved += _write_together(store, group, now, stored)
            group = [change]
    if group:
        moved += _write_together(store, group, now, stored)
    return moved


def _write_together(
    store: AggregateStore,
    group: Sequence[TicketWrite],
    now: Counting,
    stored: Mapping[str, Applied],
) -> int:
    """``group`` in one transaction (a ticket alone: :func:`_write_one`, in two if it must);
    ``stored``: what the batch read of their revisions."""
    try:
        if len(group) == 1:
            _write_one(store, stored.get(group[0].ticket_id), group[0])
        else:
            store.write(group)
    except Conflict:
        # One of them was counted meanwhile by another writer: each ticket on its own, anew.
        return sum(_count_alone(store, change.ticket_id, now) for change in group)
    return len(group)


def count_tickets(
    store: AggregateStore,
    tickets: TicketRepository,
    config: SlaConfig | None,
    ticket_ids: Iterable[str],
) -> int:
    """Count tickets as they are now (each thread read once), written together
    (:func:`apply_all`); a ticket that no longer exists is left alone. Returns how many
    tickets' numbers moved."""

    def now(ticket_id: str) -> Contributions | None:
        try:
            return contributions(facts(tickets.thread(ticket_id), config))
        except NotFound:
            return None

    return apply_all(store, ticket_ids, now)


def count_ticket(
    store: AggregateStore, tickets: TicketRepository, config: SlaConfig | None, ticket_id: str
) -> bool:
    """Count one ticket as it is now (its thread read once); True if its numbers moved."""
    return count_tickets(store, tickets, config, [ticket_id]) > 0


def update_from_changes(
    store: AggregateStore,
    tickets: TicketRepository,
    config: SlaConfig | None,
    keys: Iterable[Mapping[str, Any]],
) -> int:
    """The reports' side of the change feed: every ticket whose items a batch changed (``keys``:
    the changed items' keys, tessera.adapters.change_feed) counted again, once per batch, and
    written together (:func:`count_tickets`).
    Returns how many tickets' numbers moved."""
    return count_tickets(store, tickets, config, ticket_ids(keys))


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
        newer = [t.id for t in page.items if since is None or t.created_at >= since]
        read += len(newer)
        changed += count_tickets(store, tickets, config, newer)
        if len(newer) < len(page.items):  # newest first: the rest is older still
            return RebuildResult(read, changed)
        if progress is not None:
            progress(read, changed)
        cursor = page.cursor
        if cursor is None:
            return RebuildResult(read, changed)

"""The reports' aggregates in memory: :class:`tessera.reports.aggregates.AggregateStore` in
dictionaries, with the same revisions and conflicts as the DynamoDB store (the contract test in
tests/integration/test_reports_store.py runs against both)."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from tessera.errors import Conflict
from tessera.reports.aggregates import Applied, TicketWrite, added, items

DYNAMODB_TRANSACTION = 100  # items


class InMemoryAggregateStore:
    def __init__(self) -> None:
        self.counters: dict[str, dict[str, int]] = {}
        self.documents: dict[str, dict[str, Any]] = {}
        self.tickets: dict[str, Applied] = {}
        self.writes = 0
        self.transactions: list[int] = []  # the items of each write, in order

    def applied(self, ticket_ids: Sequence[str]) -> Mapping[str, Applied]:
        return {t: copy.deepcopy(self.tickets[t]) for t in ticket_ids if t in self.tickets}

    def write(self, writes: Sequence[TicketWrite]) -> None:
        assert len({w.ticket_id for w in writes}) == len(writes), "one write per ticket"
        assert items(writes) <= DYNAMODB_TRANSACTION, "more than one transaction holds"
        for change in writes:
            current = self.tickets.get(change.ticket_id)
            if (current.revision if current else None) != change.seen:
                raise Conflict(f"reports of ticket {change.ticket_id}")
        self.writes += 1
        self.transactions.append(items(writes))
        for key, counts in added(writes).items():
            bucket = self.counters.setdefault(key, {})
            for name, n in counts.items():
                bucket[name] = bucket.get(name, 0) + n
        for change in writes:
            for key in change.delete:
                self.documents.pop(key, None)
            for key, doc in change.put.items():
                self.documents[key] = dict(doc)
            after = Applied((change.seen or 0) + 1, copy.deepcopy(change.applied))
            self.tickets[change.ticket_id] = after

    def hours(
        self, dimension: str, start: str, end: str
    ) -> Iterator[tuple[str, str, Mapping[str, int]]]:
        for key in sorted(self.counters):
            hour, dim, value = key.split("|", 2)
            if dim == dimension and start <= hour < end:
                yield hour, value, dict(self.counters[key])

    def docs(
        self, kind: str, start: str, end: str, *, newest_first: bool = False
    ) -> Iterator[tuple[str, Mapping[str, Any]]]:
        prefix = kind + "|"
        found = []
        for key, doc in self.documents.items():
            if key.startswith(prefix):
                hour = key[len(prefix) :].split("|", 1)[0]
                if start <= hour < end:
                    found.append((hour, key, doc))
        for _, key, doc in sorted(found, key=lambda f: (f[0], f[1]), reverse=newest_first):
            yield key, dict(doc)

    def nonzero(self) -> dict[str, dict[str, int]]:
        """The counters with every zero left out (what a store built from scratch holds)."""
        kept = {k: {n: v for n, v in c.items() if v} for k, c in self.counters.items()}
        return {k: c for k, c in kept.items() if c}

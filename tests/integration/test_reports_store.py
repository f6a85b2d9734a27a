"""The reports' aggregate store on DynamoDB (moto, the table from template.yaml) and in memory:
the golden month counted through each gives the same summary, listed documents and revisions,
a stale revision is a Conflict, and a summary reads a handful of items per hour, not tickets."""

from __future__ import annotations

from typing import Any

import pytest

from tessera.adapters.dynamodb.reports import DynamoAggregateStore
from tessera.adapters.dynamodb.tickets import DynamoTicketRepository
from tessera.errors import Conflict
from tessera.ports import TicketRepository
from tessera.reports.aggregates import AggregateStore, TicketWrite, count_ticket, rebuild
from tessera.reports.metrics import Contributions
from tessera.reports.summary import comments, summary, ticket_list_csv, window
from tests.fakes.memory import InMemoryTicketRepository
from tests.fakes.reports import InMemoryAggregateStore
from tests.reports_month import build_month, sla_config

pytestmark = pytest.mark.integration


@pytest.fixture(params=["memory", "dynamodb"])
def stores(request: pytest.FixtureRequest) -> tuple[TicketRepository, AggregateStore]:
    if request.param == "memory":
        return InMemoryTicketRepository(), InMemoryAggregateStore()
    table = request.getfixturevalue("tickets_table")
    return DynamoTicketRepository(table), DynamoAggregateStore(table)


def test_the_golden_month_reads_the_same_from_either_store(stores: Any) -> None:
    # Given the golden month counted into the store
    tickets, store = stores
    named = build_month(tickets)
    for ticket in named.values():
        assert count_ticket(store, tickets, sla_config(), ticket.id)
    # When November is read back
    w = window("2026-10-31", "2026-11-30", "UTC")
    answer = summary(store, w, group_by="group", interval="month")
    # Then it is the golden month's
    assert answer["totals"]["created"] == 5
    assert answer["totals"]["solved"] == 2
    assert {r["key"]: r["created"] for r in answer["rows"]} == {"billing": 2, "tech": 3}
    assert [p["period"] for p in answer["series"]] == ["2026-10", "2026-11"]
    assert [c["score"] for c in comments(store, w)] == [4]
    listed = list(ticket_list_csv(store, w, metric="reopened", dimension=None, value=None))
    assert [line.split(",")[1] for line in listed[1:]] == [named["t2"].id]
    # and counting again changes nothing, nor does a rebuild
    assert not count_ticket(store, tickets, sla_config(), named["t1"].id)
    assert rebuild(store, tickets, sla_config()).changed == 0


def test_a_write_from_a_stale_revision_is_a_conflict(stores: Any) -> None:
    _, store = stores
    store.write([TicketWrite("T1", None, Contributions())])
    with pytest.raises(Conflict):
        store.write([TicketWrite("T1", None, Contributions())])
    store.write([TicketWrite("T1", 1, Contributions())])
    applied = store.applied(["T1", "T9"])
    assert set(applied) == {"T1"}
    assert applied["T1"].revision == 2


def test_tickets_written_together_add_their_counters_all_or_nothing(stores: Any) -> None:
    # Given two tickets counted into the same hour's counter, written in one transaction
    _, store = stores
    hour = "2026-11-03T09|channel|email"
    one = Contributions(counters={hour: {"created": 1}}, docs={f"L|created|{hour[:13]}|A": {}})
    two = Contributions(counters={hour: {"created": 1}}, docs={f"L|created|{hour[:13]}|B": {}})
    store.write(
        [
            TicketWrite("A", None, one, one.counters, one.docs),
            TicketWrite("B", None, two, two.counters, two.docs),
        ]
    )
    assert counted(store, hour) == 2
    assert {r.revision for r in store.applied(["A", "B"]).values()} == {1}
    # When one of three tickets is written from a stale revision
    three = Contributions(counters={hour: {"created": 1}})
    with pytest.raises(Conflict):
        store.write(
            [
                TicketWrite("C", None, three, three.counters),
                TicketWrite("A", None, one, one.counters),
            ]
        )
    # Then nothing of the transaction was written: not C's record, not the counter
    assert counted(store, hour) == 2
    assert set(store.applied(["A", "B", "C"])) == {"A", "B"}
    assert len(list(store.docs("L|created", "2026-11-03T00", "2026-11-04T00"))) == 2


def test_revisions_of_more_tickets_than_one_read_holds_are_all_read(stores: Any) -> None:
    _, store = stores
    ids = [f"T{i:03d}" for i in range(130)]
    for start in range(0, 130, 50):
        store.write([TicketWrite(i, None, Contributions()) for i in ids[start : start + 50]])
    found = store.applied([*ids, "absent", ids[0]])
    assert sorted(found) == ids
    assert {a.revision for a in found.values()} == {1}


def counted(store: AggregateStore, key: str) -> int:
    hour, dimension, value = key.split("|")
    next_hour = hour[:11] + f"{int(hour[11:]) + 1:02d}"
    return sum(
        n.get("created", 0) for _, v, n in store.hours(dimension, hour, next_hour) if v == value
    )


def test_hours_across_months_are_read_by_their_range(stores: Any) -> None:
    _, store = stores
    counters = {
        "2026-10-31T23|channel|email": {"created": 1},
        "2026-11-01T00|channel|email": {"created": 2},
        "2026-12-01T00|channel|email": {"created": 4},
    }
    store.write([TicketWrite("T2", None, Contributions(), counters)])
    got = [
        (h, n["created"]) for h, _, n in store.hours("channel", "2026-10-31T23", "2026-12-01T00")
    ]
    assert got == [("2026-10-31T23", 1), ("2026-11-01T00", 2)]

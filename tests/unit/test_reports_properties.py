"""Incremental = rebuild: after any stream of changes to a few tickets, counted as they happen or
a few changes later in one batch with the other tickets changed meanwhile (some counted twice,
as a replayed stream record would be), the aggregates equal a rebuild of the same tickets from
scratch."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tessera.errors import InvalidTransition
from tessera.reports.aggregates import count_ticket, count_tickets, rebuild
from tessera.tickets.model import Channel, Status
from tests.fakes.memory import InMemoryTicketRepository
from tests.fakes.reports import InMemoryAggregateStore
from tests.reports_month import MonthBuilder, sla_config

AGENTS = ["alice@example.com", "bahram@example.com", None]
TAGS = ["invoice", "vip", "refund", "bug"]
STEP = st.tuples(
    st.integers(0, 2),  # which ticket
    st.sampled_from(
        ["reply", "customer", "note", "solve", "reopen", "move", "assign", "rate", "tag"]
    ),
    st.integers(1, 60 * 60 * 30),  # seconds after the previous step
    st.integers(0, 4),  # a choice (group, agent, score)
    st.booleans(),  # counted twice
    st.booleans(),  # counted later, in a batch with the next changes
)


@settings(max_examples=60, deadline=None)
@given(st.lists(STEP, min_size=1, max_size=40))
def test_incremental_aggregates_equal_a_rebuild(
    steps: list[tuple[int, str, int, int, bool, bool]],
) -> None:
    tickets = InMemoryTicketRepository()
    builder = MonthBuilder(tickets)
    config = sla_config()
    store = InMemoryAggregateStore()
    opened = [
        builder.open(
            f"2026-11-0{i + 2}T09:00",
            requester=f"c{i}@x.test",
            channel=Channel.EMAIL,
            group="billing",
        )
        for i in range(3)
    ]
    for ticket in opened:
        count_ticket(store, tickets, config, ticket.id)
    now = opened[-1].created_at
    pending: dict[str, None] = {}
    for which, action, gap, choice, twice, later in steps:
        now += timedelta(seconds=gap)
        when = now.strftime("%Y-%m-%dT%H:%M:%S")
        ticket = tickets.get(opened[which].id)
        try:
            if action == "reply":
                builder.reply(ticket, when, "alice@example.com")
            elif action == "customer":
                builder.reply(ticket, when, ticket.requester)
            elif action == "note":
                builder.note(ticket, when, "bahram@example.com")
            elif action == "solve":
                builder.change(ticket, when, status=Status.SOLVED)
            elif action == "reopen":
                builder.change(ticket, when, status=Status.OPEN)
            elif action == "move":
                builder.change(ticket, when, group=["billing", "tech", "sales"][choice % 3])
            elif action == "tag":
                builder.change(ticket, when, tags=frozenset(TAGS[choice % 4 :]))
            elif action == "assign":
                builder.change(ticket, when, assignee=AGENTS[choice % 3])
            elif ticket.status in {Status.SOLVED, Status.CLOSED}:
                builder.rate(ticket, when, choice + 1, f"comment {choice}")
        except InvalidTransition:
            continue
        pending[ticket.id] = None
        if later:
            continue
        count_tickets(store, tickets, config, list(pending))
        pending.clear()
        if twice:
            assert not count_ticket(store, tickets, config, ticket.id)
    count_tickets(store, tickets, config, list(pending))
    fresh = InMemoryAggregateStore()
    rebuild(fresh, tickets, config)
    assert fresh.nonzero() == store.nonzero()
    assert fresh.documents == store.documents

"""The SLA state and the named due timer survive DynamoDB (the table from template.yaml) exactly
as the in-memory fake keeps them, and the DueTimers index hands the sweep ``due_what``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tessera.adapters.dynamodb.tickets import DynamoTicketRepository
from tessera.config import parse
from tessera.ports import DueTimer, TicketRepository
from tessera.sla import clocks
from tessera.sla.policies import parse_sla
from tessera.tickets.model import Channel, Message, MessageKind, open_ticket
from tests.factories import sla_config
from tests.fakes.memory import InMemoryTicketRepository

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
CONFIG = parse_sla(
    parse(sla_config("default: {first_response: 1h, resolution: 8h}", policy="p"), "sla.yaml")
)


@pytest.fixture(params=["memory", "dynamodb"])
def repository(request: pytest.FixtureRequest) -> TicketRepository:
    if request.param == "memory":
        return InMemoryTicketRepository()
    return DynamoTicketRepository(request.getfixturevalue("tickets_table"))


def test_sla_state_and_due_what_round_trip_and_reach_the_sweep(
    repository: TicketRepository,
) -> None:
    # Given a ticket whose clocks run (first response due 10:00)
    ticket, created = open_ticket(
        number=repository.next_number(),
        subject="s",
        requester="a@b.test",
        channel=Channel.EMAIL,
        actor="t",
        reason="r",
    )
    ticket.created_at = T0
    events = clocks.advance(ticket, CONFIG, trigger="created", now=T0)
    message = Message(ticket_id=ticket.id, kind=MessageKind.PUBLIC, author="a@b.test", text="")
    repository.create(ticket, message, [created, *events])

    # When it is read back and the sweep asks for due timers
    stored = repository.get(ticket.id)
    before = repository.due_timers(T0 + timedelta(minutes=59), limit=10)
    due = repository.due_timers(T0 + timedelta(hours=1), limit=10)

    # Then the state is intact and the due timer carries its name
    assert stored.sla == ticket.sla
    assert (stored.due_at, stored.due_what) == (T0 + timedelta(hours=1), "first_response-1-1")
    assert before == []
    assert due == [DueTimer(ticket.id, T0 + timedelta(hours=1), "first_response-1-1")]

    # And once nothing runs the ticket leaves the index
    stored.change(actor="t", reason="r", status="closed")
    events = clocks.advance(stored, CONFIG, trigger="changed", now=T0 + timedelta(hours=2))
    repository.save(stored, events)
    assert repository.due_timers(T0 + timedelta(days=30), limit=10) == []
    assert repository.get(ticket.id).sla["records"][0]["outcome"] == "achieved"

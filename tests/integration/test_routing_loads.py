"""The agent load counters on DynamoDB (moto, the table as template.yaml declares it): the
assignment transaction counts a ticket only over the counters it was chosen on."""

from __future__ import annotations

import pytest

from tessera.adapters.dynamodb.agent_loads import DynamoAgentLoads
from tessera.adapters.dynamodb.tickets import DynamoTicketRepository
from tessera.errors import Conflict
from tessera.ports import Load
from tests.factories import stored_ticket


def test_assignment_counts_once_and_refuses_stale_counters(tickets_table: str) -> None:
    # Given a stored ticket and no counters yet
    repo = DynamoTicketRepository(tickets_table)
    loads = DynamoAgentLoads(tickets_table)
    first, second = stored_ticket(repo, group="g"), stored_ticket(repo, group="g")
    assert loads.loads() == {}

    # When the first ticket is assigned to alice on the counters it saw
    event = first.change(actor="system:assignment", reason="t", assignee="alice@example.com")
    loads.assign(first, [event], seen=Load("alice@example.com"), capacity=5)

    # Then the ticket, its audit event and the counters were written together
    assert repo.get(first.id).assignee == "alice@example.com"
    assert [e.reason for e in repo.thread(first.id).events][-1] == "t"
    assert loads.loads() == {"alice@example.com": Load("alice@example.com", 1, 1, first.number)}

    # And a second assignment made on the old (empty) counters is refused, changing nothing
    stale = second.change(actor="system:assignment", reason="t", assignee="alice@example.com")
    with pytest.raises(Conflict):
        loads.assign(second, [stale], seen=Load("alice@example.com"), capacity=5)
    assert repo.get(second.id).assignee is None
    assert loads.loads()["alice@example.com"].open == 1


def test_capacity_is_enforced_by_the_write_and_release_frees_it(tickets_table: str) -> None:
    repo = DynamoTicketRepository(tickets_table)
    loads = DynamoAgentLoads(tickets_table)
    first, second = stored_ticket(repo, group="g"), stored_ticket(repo, group="g")
    first.change(actor="t", reason="t", assignee="bo@example.com")
    loads.assign(first, [], seen=Load("bo@example.com"), capacity=1)
    seen = loads.loads()["bo@example.com"]

    second.change(actor="t", reason="t", assignee="bo@example.com")
    with pytest.raises(Conflict):
        loads.assign(second, [], seen=seen, capacity=1)

    loads.release("bo@example.com")
    loads.release("bo@example.com")  # nothing left to release: stays at zero
    assert loads.loads()["bo@example.com"].open == 0
    loads.assign(second, [], seen=loads.loads()["bo@example.com"], capacity=1)
    assert repo.get(second.id).assignee == "bo@example.com"

"""Per-agent assignment counters in the tickets table (docs/data-model.md: ``#LOAD`` items).

``pk=#LOAD, sk=<agent email>``: ``open``, ``assigned`` (assignments ever) and ``last_ticket``.
All agents share one partition, so one Query reads every agent's counters; an assignment is one
``TransactWriteItems`` — the versioned ticket, its events and the counter update conditional on
the counters the choice was made on — so two concurrent assignments cannot both count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from tessera.adapters.dynamodb.binding import bind, connection
from tessera.adapters.dynamodb.tickets import TableItem, TicketItem, _versioned, event_item
from tessera.errors import Conflict
from tessera.ports import Load
from tessera.tickets.model import Event, Ticket

LOAD_PK = "#LOAD"


class LoadItem(TableItem, discriminator="load"):
    """``#LOAD`` / ``<agent email>``: one agent's assignment counters."""

    open = NumberAttribute(default=0)
    assigned = NumberAttribute(default=0)
    last_ticket = NumberAttribute(default=0)


class DynamoAgentLoads:
    """:class:`tessera.ports.AgentLoads` on the tickets table."""

    def __init__(self, table_name: str) -> None:
        bind((TableItem, LoadItem, TicketItem), table_name)
        self._connection = connection()

    def loads(self) -> Mapping[str, Load]:
        return {
            item.sk: Load(item.sk, int(item.open), int(item.assigned), int(item.last_ticket))
            for item in LoadItem.query(LOAD_PK, consistent_read=True)
        }

    def assign(self, ticket: Ticket, events: Sequence[Event], *, seen: Load, capacity: int) -> None:
        counters = LoadItem(LOAD_PK, seen.agent)
        unchanged = (
            (LoadItem.assigned == seen.assigned) & (LoadItem.open < capacity)
            if seen.assigned
            else LoadItem.pk.does_not_exist()
        )
        versioned = _versioned(ticket)
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.update(
                    counters,
                    actions=[
                        LoadItem.open.add(1),
                        LoadItem.assigned.add(1),
                        LoadItem.last_ticket.set(ticket.number),
                        LoadItem.item_type.set(LoadItem),
                    ],
                    condition=unchanged,
                )
                transaction.save(versioned.item, condition=versioned.condition)
                for event in events:
                    transaction.save(event_item(event))
        except TransactWriteError as error:
            reasons = error.cancellation_reasons
            if any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons):
                raise Conflict(
                    f"ticket {ticket.id} or {seen.agent}'s load changed meanwhile"
                ) from error
            raise
        ticket.version += 1

    def release(self, agent: str) -> None:
        try:
            LoadItem(LOAD_PK, agent).update(
                actions=[LoadItem.open.add(-1)], condition=LoadItem.open > 0
            )
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return  # nothing open to release: counters never go below zero
            raise

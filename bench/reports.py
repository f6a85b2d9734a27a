"""What the reports cost: a dashboard load at two table sizes, and the writes per ticket change.

1. Write amplification: a small month of ticket lifecycles on moto (the tickets table from
   template.yaml) counted change by change as the change feed would: per change, the calls, the
   items read and written and the bytes written (the ``#APPLIED`` item carries the ticket's
   contributions).
2. A dashboard load (what reports.js asks: the 30-day summary by agent with a daily series,
   today's summary, the 50 newest CSAT comments) after ``--small`` and then ``--large`` tickets
   counted into the aggregates (spread over 30 days, 12 agents, 6 groups, 4 channels): DynamoDB
   calls and items read. It must not grow with tickets: it is bounded by hours x dimension values.
3. A burst: ``--burst`` new tickets in one hour (a morning's mail), counted as one batch of the
   change feed delivers them (written together, shared counters added up) and, for comparison,
   one ticket at a time: items and write units per ticket.
4. Dollars per 1,000 tickets on DynamoDB on-demand (us-east-1 list prices stated below), from the
   measured writes and reads per change and the changes per ticket of step 1.

moto reads the whole table for every Query, so time says nothing here: calls and items do.
Run: ``.venv/bin/python -m bench.reports`` (about two minutes; ``--large 2000`` for a quick run).
"""

from __future__ import annotations

import argparse
import json
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import moto

WRITE_PRICE = 0.625 / 1_000_000  # $ per write request unit (on-demand, us-east-1)
READ_PRICE = 0.125 / 1_000_000  # $ per read request unit


@dataclass
class Tally:
    calls: dict[str, int] = field(default_factory=dict)
    items_read: int = 0
    items_written: int = 0
    write_units: int = 0  # 1 KB each, doubled in a transaction
    read_units: float = 0.0

    def count(self, operation: str, params: dict[str, Any], response: dict[str, Any]) -> None:
        self.calls[operation] = self.calls.get(operation, 0) + 1
        if operation == "Query":
            self.items_read += int(response.get("Count", 0))
            size = sum(len(str(i)) for i in response.get("Items", []))
            self.read_units += max(1, -(-size // 4096)) * 0.5
        elif operation == "GetItem":
            self.items_read += int("Item" in response)
            self.read_units += 1
        elif operation == "BatchGetItem":  # consistent: one unit per item of up to 4 KB
            found = sum(len(items) for items in response.get("Responses", {}).values())
            self.items_read += found
            self.read_units += found
        elif operation == "TransactWriteItems":
            for item in params["TransactItems"]:
                self.items_written += 1
                body = next(iter(item.values()))
                size = len(str(body.get("Item") or body.get("Key")))
                self.write_units += 2 * max(1, -(-size // 1024))


@contextmanager
def counting(client: Any, tally: Tally | None = None) -> Iterator[Tally]:
    """The DynamoDB calls ``client`` makes within the block, counted into ``tally``."""
    tally = Tally() if tally is None else tally

    captured: dict[str, dict[str, Any]] = {}

    def after_call(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        tally.count(model.name, captured.get("params", {}), parsed)

    def provide(params: dict[str, Any], model: Any, **_: Any) -> None:
        captured["params"] = params

    client.meta.events.register("provide-client-params.dynamodb.*", provide)
    client.meta.events.register("after-call.dynamodb.*", after_call)
    try:
        yield tally
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.*", provide)
        client.meta.events.unregister("after-call.dynamodb.*", after_call)


def lifecycles(table: str, tickets: int) -> tuple[Tally, int]:
    """Tickets opened, assigned, answered, solved and rated, each change counted at once."""
    from tessera.adapters.clients import client
    from tessera.adapters.dynamodb.reports import DynamoAggregateStore
    from tessera.adapters.dynamodb.tickets import DynamoTicketRepository
    from tessera.reports.aggregates import count_ticket
    from tessera.tickets.model import Channel, Status
    from tests.reports_month import MonthBuilder, sla_config

    repo = DynamoTicketRepository(table)
    store = DynamoAggregateStore(table)
    builder = MonthBuilder(repo)
    config = sla_config()
    changes = 0
    tally = Tally()
    for n in range(tickets):
        start = datetime(2026, 11, 2, 9, tzinfo=UTC) + timedelta(hours=7 * n)
        at = [(start + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M") for h in range(7)]
        ticket = builder.open(
            at[0], requester=f"c{n}@x.test", channel=Channel.EMAIL, group="billing"
        )
        steps = [
            lambda t, at=at: builder.change(t, at[0][:-2] + "12", assignee="alice@example.com"),
            lambda t, at=at: builder.reply(t, at[2], "alice@example.com"),
            lambda t, at=at: builder.reply(t, at[3], t.requester),
            lambda t, at=at: builder.reply(t, at[4], "alice@example.com"),
            lambda t, at=at: builder.change(t, at[5], status=Status.SOLVED),
            lambda t, at=at: builder.rate(t, at[6], 5, "Thanks"),
        ]
        for step in [None, *steps]:
            if step is not None:
                step(repo.get(ticket.id))
            with counting(client("dynamodb"), tally):  # the reports' calls only
                count_ticket(store, repo, config, ticket.id)
            changes += 1
    return tally, changes


def burst(table: str, tickets: int, *, together: bool, day: int) -> Tally:
    """``tickets`` new tickets in one hour of ``day`` (November), counted in one batch
    (``together``) or one at a time."""
    from tessera.adapters.clients import client
    from tessera.adapters.dynamodb.reports import DynamoAggregateStore
    from tessera.adapters.dynamodb.tickets import DynamoTicketRepository
    from tessera.reports.aggregates import count_ticket, count_tickets
    from tessera.tickets.model import Channel
    from tests.reports_month import MonthBuilder, sla_config

    repo = DynamoTicketRepository(table)
    store = DynamoAggregateStore(table)
    builder = MonthBuilder(repo)
    ids = [
        builder.open(
            f"2026-11-{day:02d}T09:{n % 60:02d}",
            requester=f"burst{day}-{n}@x{n % 7}.test",
            channel=Channel.EMAIL,
            group=("billing", "tech")[n % 2],
        ).id
        for n in range(tickets)
    ]
    with counting(client("dynamodb")) as tally:
        if together:
            count_tickets(store, repo, sla_config(), ids)
        else:
            for ticket_id in ids:
                count_ticket(store, repo, sla_config(), ticket_id)
    return tally


def fill(table: str, tickets: int, seed: int, memory: Any) -> None:
    """``tickets`` tickets' contributions added up (in memory, then each aggregate item put once:
    the items a change feed would have made, without a transaction per ticket on moto), spread
    over the 30 days before 2026-12-01. No ticket items: the dashboard never reads them."""
    from tessera.adapters.clients import client
    from tessera.adapters.dynamodb.reports import _counter_key, _doc_key
    from tessera.reports.aggregates import apply_all
    from tessera.reports.metrics import Facts, Rating, contributions

    rng = random.Random(seed)
    store = memory
    made: dict[str, Any] = {}
    end = datetime(2026, 12, 1, tzinfo=UTC)
    for n in range(tickets):
        created = end - timedelta(seconds=rng.randrange(30 * 86400))
        answered = created + timedelta(seconds=rng.randrange(60, 86400))
        solved = answered + timedelta(seconds=rng.randrange(60, 86400))
        facts = Facts(
            ticket_id=f"B{seed}{n:07d}",
            number=n,
            dimensions={
                "agent": f"agent{rng.randrange(12)}@example.com",
                "group": f"group{rng.randrange(6)}",
                "channel": rng.choice(["email", "portal", "api", "phone"]),
                "customer": f"c{rng.randrange(5000)}@x.test",
                "priority": rng.choice(["low", "normal", "high", "urgent"]),
                "language": rng.choice(["en", "fa", "el"]),
                "tag": " ".join(sorted(rng.sample(["invoice", "vip", "bug", "refund"], 2))),
                "mailbox": rng.choice(["support@example.com", "billing@example.com"]),
                "domain": f"d{rng.randrange(500)}.test",
            },
            created_at=created,
            first_response_at=answered,
            solved_at=solved if solved < end else None,
            public_replies=1,
            rating=Rating(rng.randrange(1, 6), "ok", solved) if rng.random() < 0.1 else None,
        )
        made[facts.ticket_id] = contributions(facts)
    apply_all(store, made, made.get)
    requests = [
        {"PutRequest": {"Item": {**_counter_key(k), **{n: {"N": str(v)} for n, v in c.items()}}}}
        for k, c in store.nonzero().items()
    ] + [
        {"PutRequest": {"Item": {**_doc_key(k), "doc": {"S": json.dumps(d)}}}}
        for k, d in store.documents.items()
    ]
    dynamodb = client("dynamodb")
    for start in range(0, len(requests), 25):
        dynamodb.batch_write_item(RequestItems={table: requests[start : start + 25]})


def dashboard(table: str) -> Tally:
    from tessera.adapters.clients import client
    from tessera.adapters.dynamodb.reports import DynamoAggregateStore
    from tessera.reports.summary import comments, summary, window

    store = DynamoAggregateStore(table)
    with counting(client("dynamodb")) as tally:
        summary(
            store,
            window("2026-11-01", "2026-11-30", "Europe/Athens"),
            group_by="agent",
            interval="day",
        )
        summary(store, window("2026-11-30", "2026-11-30", "Europe/Athens"))
        comments(store, window("2026-11-01", "2026-11-30", "Europe/Athens"))
    return tally


def calls(tally: Tally) -> str:
    return " ".join(f"{k} {v}" for k, v in sorted(tally.calls.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--large", type=int, default=20_000)
    parser.add_argument("--lifecycles", type=int, default=20)
    parser.add_argument("--burst", type=int, default=50)
    args = parser.parse_args()
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
    }.items():
        os.environ[name] = value
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
        os.environ.pop(name, None)
    with moto.mock_aws():
        from tessera_local.provision import create_tables
        from tessera_local.template import Template

        template = Template.load()
        create_tables(template, boto3.client("dynamodb"))
        table = str(template.ref("TicketsTable"))
        os.environ["TABLE_NAME"] = table

        tally, changes = lifecycles(table, args.lifecycles)
        per = changes or 1
        print(
            f"write amplification over {changes} changes of {args.lifecycles} tickets "
            f"(7 changes each):"
        )
        print(
            f"  per change: {tally.items_written / per:.1f} items written, "
            f"{tally.write_units / per:.1f} write units, {tally.items_read / per:.1f} items read; "
            f"calls: {calls(tally)}"
        )
        print("  (the items read include the ticket's thread: one Query of its partition)")
        dollars = (
            tally.write_units * WRITE_PRICE + tally.read_units * READ_PRICE
        ) / args.lifecycles
        print(f"  $ per 1,000 tickets (reports only, on-demand): {dollars * 1000:.4f}")
        print(f"a burst of {args.burst} new tickets in one hour (one batch of the change feed):")
        for together, day in ((False, 23), (True, 24)):
            t = burst(table, args.burst, together=together, day=day)
            print(
                f"  {'together  ' if together else 'one by one'}: "
                f"{t.items_written / args.burst:.1f} items written, "
                f"{t.write_units / args.burst:.1f} write units a ticket; calls: {calls(t)}"
            )

        from tests.fakes.reports import InMemoryAggregateStore

        memory = InMemoryAggregateStore()
        loads = []
        done = 0
        for size in (args.small, args.large):
            fill(table, size - done, seed=size, memory=memory)
            done = size
            load = dashboard(table)
            loads.append(load)
            print(
                f"dashboard load at {size:>6,} tickets: {sum(load.calls.values())} calls "
                f"({calls(load)}), {load.items_read:,} items read"
            )
        bound = 24 * 31 * 12 + 24 * 2 * 4 + 100  # + one page of CSAT comments
        print(
            f"bound: hours x agents + a day's hours x channels + a page of comments = "
            f"{bound:,} items, whatever the tickets"
        )
        over = loads[1].items_read > bound
        print(
            "a load reads within the bound"
            if not over
            else "a load read more than hours x values: it grows with tickets"
        )
        print("(more Queries at more tickets are pages: DynamoDB returns 1 MB per page)")
        return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What ``POST /api/admin/rules/simulate`` costs: DynamoDB calls and items read for a draft
replayed over the last day, as the table grows with older tickets, and where the cap stops it.

On moto with the real adapters (tables from template.yaml): ``--window`` tickets created in the
last day, then the same simulation after ``--older`` tickets created 30 days ago are added. The
simulation reads the ``ByKind`` index newest first and stops at the window's start, so its calls
(one page Query per 100 tickets, one thread Query per replayed ticket) follow the window, never
the table. Items read are DynamoDB's ``ScannedCount`` summed over the Queries — on moto every
Query reads the whole table, so only the calls compare with a deployment. Then the cap: with
``--cap`` set below the window, the replay stops at the cap and says so.

``.venv/bin/python -m bench.rules_simulation`` from the repository root. A measurement, not a
test.
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DRAFT = """\
rules:
  - name: invoices-to-billing
    when: {subject: {words: [invoice]}}
    then: [{group: billing}]
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=int, default=40, help="tickets of the last day")
    parser.add_argument("--older", type=int, default=200, help="tickets of 30 days ago, added")
    parser.add_argument("--cap", type=int, default=25, help="the cap for the last run")
    args = parser.parse_args()

    import boto3
    import moto
    from botocore.client import BaseClient

    from tessera.adapters.dynamodb.config_store import DynamoConfigStore
    from tessera.adapters.dynamodb.tickets import DynamoTicketRepository
    from tessera.config.kinds import ConfigReader
    from tessera.identity.access import Principal, Role
    from tessera.routing import simulation
    from tessera.tickets.model import Channel, Message, MessageKind, open_ticket, utcnow
    from tessera_local.provision import create_tables
    from tessera_local.template import Template
    from tests.fakes import World

    os.environ.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - moto, no real account
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_PROFILE"):
        os.environ.pop(name, None)
    calls: Counter[str] = Counter()
    scanned = [0]
    client_class: Any = BaseClient
    original = client_class._make_api_call

    def counting(client: Any, operation: str, params: dict[str, Any]) -> Any:
        answer = original(client, operation, params)
        calls[f"{client.meta.service_model.service_name}:{operation}"] += 1
        scanned[0] += int(answer.get("ScannedCount", 0)) if isinstance(answer, dict) else 0
        return answer

    with moto.mock_aws():
        template = Template.load()
        create_tables(template, boto3.client("dynamodb"))
        table = str(template.ref("TicketsTable"))
        repository = DynamoTicketRepository(table)
        store = DynamoConfigStore(table)
        world = World()
        deps = world.deps
        deps.tickets = repository
        deps.config = lambda: ConfigReader(store, ttl=0)
        admin = Principal("admin@example.com", frozenset({Role.ADMIN}))

        def add(count: int, age: timedelta) -> None:
            for i in range(count):
                ticket, created = open_ticket(
                    number=repository.next_number(),
                    subject=f"Question {i} about an invoice",
                    requester=f"c{i}@customer.test",
                    channel=Channel.EMAIL,
                    actor="bench",
                    reason="bench",
                )
                ticket.created_at = ticket.created_at - age
                message = Message(ticket.id, MessageKind.PUBLIC, ticket.requester, "Hello")
                repository.create(ticket, message, [created])

        def measure(label: str) -> None:
            calls.clear()
            scanned[0] = 0
            client_class._make_api_call = counting
            try:
                found = simulation.simulate_draft(deps, admin, DRAFT, days=1, now=utcnow())
            finally:
                client_class._make_api_call = original
            queries = calls["dynamodb:Query"]
            print(
                f"{label:<34} replayed {found.replayed:>4}  moved {len(found.differences):>4}  "
                f"capped {found.capped!s:<5}  dynamodb:Query {queries:>4}  "
                f"GetItem {calls['dynamodb:GetItem']:>2}  items read (moto) {scanned[0]:>7}"
            )

        add(args.window, timedelta(hours=1))
        print(f"simulate a draft over the last day (cap {simulation.SIMULATION_CAP})")
        measure(f"{args.window} tickets in the table")
        add(args.older, timedelta(days=30))
        measure(f"+{args.older} older tickets")
        simulation.SIMULATION_CAP = args.cap
        measure(f"the same with the cap at {args.cap}")


if __name__ == "__main__":
    main()

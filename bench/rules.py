"""Routing cost: rule evaluations per second, and per ticket the state transitions and AWS calls.

1. **Evaluations per second** of the pure engine (:func:`tessera.routing.rules.evaluate`) for
   generated rule sets of 10, 100 and 1,000 rules (a mix of words, regex, contains, any/all and
   requester conditions; all-match, so every rule is tested), against varied tickets.
2. **State transitions per ticket**: the states a ticket's execution of
   infra/statemachines/routing.asl.json enters on the usual path (Standard workflows bill per
   transition), read from the definition itself.
3. **AWS calls per ticket**: the route and assign steps on moto with the real DynamoDB adapters
   (tickets, config, agent loads), counting every botocore call per step; the acknowledgement
   adds one ``ses:SendRawEmail`` and the thread read and write counted the same way.

``.venv/bin/python -m bench.rules`` from the repository root. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tessera.config import kinds
from tessera.routing.rules import Facts, Requester, RuleSet, evaluate

ROOT = Path(__file__).resolve().parents[1]
WORDS = ["invoice", "refund", "outage", "login", "password", "api", "export", "crash", "slow"]


def rule_set(size: int) -> RuleSet:
    lines = ["mode: all-match", "requesters:", "  - {domain: bigcorp.test, vip: true}", "rules:"]
    for i in range(size):
        word = WORDS[i % len(WORDS)]
        kind = i % 4
        if kind == 0:
            when = f"{{subject: {{words: [{word}, w{i}]}}}}"
        elif kind == 1:
            when = f"{{body: {{matches: '\\b{word}\\s+#{i}\\b'}}}}"
        elif kind == 2:
            when = f"{{any: [{{sender.domain: d{i}.test}}, {{text: {{contains: 'x{i}y'}}}}]}}"
        else:
            when = f"{{all: [{{requester.vip: true}}, {{subject: {{contains: {word}{i}}}}}]}}"
        lines += [f"  - name: r{i}", f"    when: {when}", f"    then: [{{tags: [t{i}]}}]"]
    result: RuleSet = kinds.validate("rules", "\n".join(lines) + "\n", f"bench-{size}")
    return result


def tickets(count: int) -> list[Facts]:
    now = datetime(2025, 3, 3, 12, tzinfo=UTC)
    return [
        Facts(
            mailbox="support@example.com",
            channel="email",
            sender=f"user{i}@{'bigcorp' if i % 5 == 0 else 'customer'}.test",
            subject=f"My {WORDS[i % len(WORDS)]} problem number {i}",
            body="Hello,\n" + "Some words about the problem. " * 20 + f"\n{WORDS[i % 3]} #{i}",
            language="en",
            priority="normal",
            tags=frozenset(),
            custom_fields={},
            requester=Requester(vip=i % 5 == 0),
            now=now,
        )
        for i in range(count)
    ]


def evaluations_per_second(size: int, seconds: float) -> float:
    rules, sample = rule_set(size), tickets(50)
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for facts in sample:
            evaluate(rules, facts)
        done += len(sample)
    return done / (time.perf_counter() - started)


def happy_path_states() -> list[str]:
    definition = json.loads((ROOT / "infra/statemachines/routing.asl.json").read_text())
    states, name = [], definition["StartAt"]
    while name is not None:
        states.append(name)
        state = definition["States"][name]
        name = state.get("Default") if state["Type"] == "Choice" else state.get("Next")
    return states


WHY = {
    "dynamodb:Query": "the ticket's partition (thread); the #LOAD counters (one Query, all agents)",
    "dynamodb:GetItem": "config pointers and versions (rules, mailboxes, groups; cached 30 s "
    "per Lambda container, so a warm container skips them); the ticket",
    "dynamodb:TransactWriteItems": "ticket + audit events (route); ticket + events + counter "
    "update, conditional (assign)",
}


def aws_calls_per_ticket() -> dict[str, Counter[str]]:
    import boto3
    import moto
    from botocore.client import BaseClient

    from tessera.adapters.dynamodb.agent_loads import DynamoAgentLoads
    from tessera.adapters.dynamodb.config_store import DynamoConfigStore
    from tessera.adapters.dynamodb.tickets import DynamoTicketRepository
    from tessera.config.kinds import ConfigReader
    from tessera.routing import workflow
    from tessera.tickets.model import Channel, Message, MessageKind, open_ticket
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
    counts: dict[str, Counter[str]] = {}
    current: list[str] = ["setup"]
    client_class: Any = BaseClient
    original = client_class._make_api_call

    def counting(client: Any, operation: str, params: dict[str, Any]) -> Any:
        service = client.meta.service_model.service_name
        counts.setdefault(current[0], Counter())[f"{service}:{operation}"] += 1
        return original(client, operation, params)

    with moto.mock_aws():
        template = Template.load()
        create_tables(template, boto3.client("dynamodb"))
        table = str(template.ref("TicketsTable"))
        repository = DynamoTicketRepository(table)
        store = DynamoConfigStore(table)
        for kind in ("mailboxes", "rules", "groups"):
            text = (ROOT / "infra/config" / f"{kind}.yaml").read_text(encoding="utf-8")
            store.apply(kind, text, actor="bench", expected_version=None)
        world = World()
        deps = world.deps
        deps.tickets = repository
        deps.config = lambda: ConfigReader(store, ttl=0)  # cold container: every read counts
        loads = DynamoAgentLoads(table)
        deps.agent_loads = lambda: loads
        ticket, created = open_ticket(
            number=repository.next_number(),
            subject="Refund for invoice 7",
            requester="cfo@bigcorp.test",
            channel=Channel.EMAIL,
            actor="bench",
            reason="bench",
            mailbox="support@example.com",
        )
        first = Message(ticket.id, MessageKind.PUBLIC, ticket.requester, "charged twice")
        repository.create(ticket, first, [created])
        client_class._make_api_call = counting
        try:
            for step in ("route", "assign", "acknowledge"):
                current[0] = step
                getattr(workflow, step)(deps, ticket.id)
        finally:
            client_class._make_api_call = original
        counts["acknowledge"]["ses:SendRawEmail"] += len(world.mailer.sent)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="per rule-set size")
    args = parser.parse_args()

    print("rule evaluations per second (all-match: every rule tested)")
    for size in (10, 100, 1000):
        rate = evaluations_per_second(size, args.seconds)
        print(f"  {size:>5} rules: {rate:>10,.0f} tickets/s  {rate * size:>14,.0f} rules/s")

    states = happy_path_states()
    print(f"\nstate transitions per ticket (usual path): {len(states)}  ({' -> '.join(states)})")
    print("  spam/discard stops after Route: 3; a failure adds RecordFailure and Failed")

    print("\nAWS calls per ticket (cold container, real adapters on moto)")
    total = 0
    for step, counter in aws_calls_per_ticket().items():
        for call, n in sorted(counter.items()):
            total += n
            print(f"  {step:<12} {call:<30} {n:>3}  {WHY.get(call, '')}")
    print(f"  total {total} calls (a warm container skips the config reads)")


if __name__ == "__main__":
    main()

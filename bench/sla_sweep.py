"""How much the SLA sweep reads, and what escalation costs in Step Functions transitions.

1. On the tickets table exactly as template.yaml declares it (moto, in-process), 20,000 tickets
   with running timers of which 10 (then 1,000) are due: one sweep, counting the DynamoDB items
   it reads (the Query's ScannedCount, from every response) against the timers due. moto reads
   the whole table on every Query internally (DESIGN.md), so items and calls are counted, never
   time.
2. Two ticket lifecycles driven through the real steps, with the escalation state machine's ASL
   walked state by state (a Task calls the step it names; a Choice reads its result): the state
   transitions per ticket and their price per 1,000 tickets.

Run: ``.venv/bin/python bench/sla_sweep.py`` (about a minute; prints figures).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import moto

ROOT = Path(__file__).resolve().parents[1]
TICKETS = 20_000
TRANSITION_PRICE = 0.025 / 1000  # USD per state transition (Standard workflows, list price)
READ_UNIT_PRICE = 0.125 / 1_000_000  # USD per on-demand read request unit (us-east-1)
SWEEPS_PER_MONTH = 60 * 24 * 30

CONFIG = """\
calendars:
  - name: always
    timezone: UTC
    hours: {mon-sun: "00:00-24:00"}
default_calendar: always
policies:
  - name: standard
    targets:
      default: {first_response: 1h, resolution: 8h}
escalation:
  warn_at: 75%
  ladder: [support, tier2]
  contacts: {tier2: {lead: lead@example.com, manager: boss@example.com, sms: true}}
automations:
  solved_close_after: 4d
  csat_survey_on_solve: true
"""


class Counter:
    """Every DynamoDB call in this process: operation, items returned, items scanned."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def install(self) -> None:
        from botocore.client import BaseClient

        client_class: Any = BaseClient
        original = client_class._make_api_call
        counter = self

        def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            response = original(client, operation, params)
            if client.meta.service_model.service_name == "dynamodb":
                items = response.get("Count", 1 if "Item" in response else 0)
                counter.calls.append((operation, items, response.get("ScannedCount", items)))
            return response

        client_class._make_api_call = make_api_call


def main() -> None:
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
    }.items():
        os.environ[name] = value
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with moto.mock_aws():
        from tessera_local.provision import create_tables
        from tessera_local.template import Template

        template = Template.load()
        create_tables(template, boto3.client("dynamodb"))
        table = str(template.ref("TicketsTable"))
        counter = Counter()
        counter.install()
        sweep_reads(table, counter)
        lifecycles(table)


# ---------------------------------------------------------------------------------- sweep


def _deps(**given: Any) -> Any:
    """Dependencies with what the bench uses; anything else fails if touched."""
    from tessera.ports import Dependencies

    def unused() -> Any:
        raise AssertionError("the bench does not wire this")

    required = [f.name for f in dataclasses.fields(Dependencies) if f.name != "tickets"]
    return Dependencies(**dict.fromkeys(required, unused) | given)


def sweep_reads(table: str, counter: Counter) -> None:
    from tessera.adapters.dynamodb.tickets import DynamoTicketRepository, TicketItem, ticket_item
    from tessera.sla.sweep import sweep
    from tessera.tickets.model import Channel, Ticket

    repository = DynamoTicketRepository(table)
    now = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
    started = time.monotonic()
    with TicketItem.batch_write() as batch:
        for n in range(TICKETS):
            ticket = Ticket(
                number=1001 + n, subject=f"t{n}", requester="a@b.test", channel=Channel.EMAIL
            )
            # Every ticket has a running timer; the first 1,000 are due at staggered times
            ticket.due_at = now - timedelta(minutes=n + 1) if n < 1000 else now + timedelta(hours=n)
            ticket.due_what = "first_response-1-1"
            batch.save(ticket_item(ticket))
    print(f"{TICKETS:,} tickets with running timers written in {time.monotonic() - started:.0f} s")
    print()
    print("| tickets | due | DynamoDB calls | items read | ratio read/due |")
    print("|--------:|----:|---------------:|-----------:|---------------:|")

    class Starter:
        def start(self, ticket_id: str, what: str, due_at: datetime) -> bool:
            return True

    deps = _deps(tickets=repository, escalations=lambda: Starter())
    # 10 due: sweep at the instant only the 10 most recent of the due timers have passed
    for due_count, at in ((10, now - timedelta(minutes=991)), (1000, now)):
        counter.calls.clear()
        result = sweep(deps, at, limit=1000)
        assert len(result.due) == due_count, len(result.due)
        read = sum(scanned for _, _, scanned in counter.calls)
        ratio = read / due_count
        print(f"| {TICKETS:,} | {due_count:,} | {len(counter.calls)} | {read:,} | {ratio:.2f} |")
        assert ratio <= 1.2, "the sweep reads more than the due timers"
    idle_units = 0.5  # an eventually consistent Query that returns nothing still costs 0.5 RRU
    print()
    print(
        f"An idle sweep (nothing due) every minute: {SWEEPS_PER_MONTH:,} Queries a month, "
        f"${SWEEPS_PER_MONTH * idle_units * READ_UNIT_PRICE:.4f} in read units."
    )


# ---------------------------------------------------------------------------- transitions


def walk(
    definition: dict[str, Any], run: Callable[[dict[str, Any]], Any], data: dict[str, Any]
) -> int:
    """Execute the ASL's Task/Choice/Succeed/Fail states; the number of states entered."""
    name, transitions = definition["StartAt"], 0
    while True:
        state = definition["States"][name]
        transitions += 1
        if state["Type"] == "Task":
            params = {
                key.removesuffix(".$"): _path(data, value) if key.endswith(".$") else value
                for key, value in state["Parameters"].items()
            }
            result = json.loads(json.dumps(run(params), default=str))
            data = _assign(data, state["ResultPath"], result)
        elif state["Type"] == "Choice":
            name = next(
                (
                    c["Next"]
                    for c in state["Choices"]
                    if _path(data, c["Variable"]) == c.get("StringEquals", c.get("BooleanEquals"))
                ),
                state["Default"],
            )
            continue
        if state["Type"] in {"Succeed", "Fail"} or state.get("End"):
            return transitions
        name = state["Next"]


def _path(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.removeprefix("$.").split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _assign(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    return {**data, path.removeprefix("$."): value}


def lifecycles(table: str) -> None:
    from tessera.adapters.dynamodb.config_store import DynamoConfigStore
    from tessera.adapters.dynamodb.tickets import DynamoTicketRepository
    from tessera.config.kinds import ConfigReader
    from tessera.sla import clocks, escalation
    from tessera.tickets.model import Channel, Message, MessageKind, Status, open_ticket

    store = DynamoConfigStore(table)
    store.apply("sla", CONFIG, actor="bench", expected_version=None)

    class Sms:
        def send(self, *, text: str, attributes: dict[str, str]) -> str:
            return "sms"

    class Mailer:
        def send(self, **mail: Any) -> str:
            return "mail"

    reader = ConfigReader(store, ttl=0)
    deps = _deps(
        tickets=DynamoTicketRepository(table),
        config=lambda: reader,
        mailer=lambda: Mailer(),
        sms=lambda: Sms(),
        from_address=lambda: "support@example.com",
    )
    definition = json.loads(
        (ROOT / "infra" / "statemachines" / "escalation.asl.json").read_text(encoding="utf-8")
    )
    t0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

    def execute(ticket_id: str, now: datetime) -> int:
        """One sweep's execution for the ticket's due timer; its transitions."""
        ticket = deps.tickets.get(ticket_id)
        assert ticket.due_what is not None

        def run(params: dict[str, Any]) -> Any:
            step = params.pop("step")
            fn = getattr(escalation, step)
            return fn(deps, now=now, **params)

        return walk(definition, run, {"ticket_id": ticket_id, "what": ticket.due_what})

    def lifecycle(breach: bool) -> int:
        ticket, created = open_ticket(
            number=deps.tickets.next_number(),
            subject="bench",
            requester="a@b.test",
            channel=Channel.EMAIL,
            actor="bench",
            reason="bench",
            group="support",
        )
        ticket.created_at = t0
        events = clocks.refresh(deps, ticket, trigger="created", now=t0)
        first = Message(ticket_id=ticket.id, kind=MessageKind.PUBLIC, author="a@b.test", text="")
        deps.tickets.create(ticket, first, [created, *events])
        transitions = 0
        if breach:  # warned at 45 min, breached at 1 h
            transitions += execute(ticket.id, t0 + timedelta(minutes=45))
            transitions += execute(ticket.id, t0 + timedelta(hours=1))
        replied_at = t0 + timedelta(hours=2 if breach else 0.5)
        ticket = deps.tickets.get(ticket.id)
        events = clocks.refresh(deps, ticket, trigger="agent_reply", now=replied_at)
        ticket.change(actor="agent:a@example.com", reason="done", status=Status.SOLVED)
        events += clocks.refresh(deps, ticket, trigger="changed", now=replied_at)
        deps.tickets.save(ticket, events)
        transitions += execute(ticket.id, replied_at)  # CSAT survey
        transitions += execute(ticket.id, replied_at + timedelta(days=4))  # close solved
        assert deps.tickets.get(ticket.id).status is Status.CLOSED
        return transitions

    print()
    print("| lifecycle | escalation executions | state transitions | $ per 1,000 tickets |")
    print("|-----------|----------------------:|------------------:|--------------------:|")
    for label, breach, executions in (
        ("answered in time, solved, survey, closed", False, 2),
        ("warned, breached (tier up + notify), solved, survey, closed", True, 4),
    ):
        transitions = lifecycle(breach)
        cost = transitions * 1000 * TRANSITION_PRICE
        print(f"| {label} | {executions} | {transitions} | ${cost:.3f} |")
    print()
    print(
        "Standard workflows, $0.025 per 1,000 state transitions; retries add transitions, the "
        "routing workflow (one execution per ticket) is counted separately."
    )


if __name__ == "__main__":
    main()

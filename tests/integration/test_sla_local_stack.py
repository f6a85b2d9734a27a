"""SLA escalation on the local stack, with second-scale targets: the real sweep (fired by the
stack's clock, 60 times faster) finds the due timer on the DueTimers index, the escalation state
machine runs in moto's interpreter, the ticket moves up a tier, and the mail and the SMS appear
in the outbox. A reply before the breach stops it. Tickets are driven through the repository and
tessera.sla.clocks.refresh, as the intake, routing and API use cases will."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tessera.adapters.dynamodb.config_store import DynamoConfigStore
from tessera.adapters.dynamodb.tickets import DynamoTicketRepository
from tessera.config.kinds import ConfigReader
from tessera.ports import Dependencies
from tessera.sla import clocks
from tessera.tickets.model import (
    Channel,
    Message,
    MessageKind,
    Status,
    Ticket,
    open_ticket,
    utcnow,
)
from tests.factories import sla_config
from tests.fakes import World
from tests.localstack import RunningStack, start_stack, stop_stack, wait_for

pytestmark = pytest.mark.integration

SECONDS_SLA = sla_config(
    "default: {first_response: 3s, resolution: 1h}",
    "high: {first_response: 1h, resolution: 2h}",
    calendar="always",
    policy="fast",
    rest="""\
escalation:
  ladder: [support, support-l2]
  contacts:
    support-l2: {lead: l2-lead@example.com, manager: manager@example.com, sms: true}
automations:
  solved_close_after: 2s
  csat_survey_on_solve: true
""",
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TESSERA_CLOCK_SPEED", "60")  # the every-minute sweep runs every second
        running = start_stack(tmp_path_factory.mktemp("sla-stack"), fresh=True)
    yield running
    stop_stack(running)


@pytest.fixture(scope="module")
def deps(stack: RunningStack) -> Iterator[Dependencies]:
    """This test process pointed at the stack's emulator, with the seconds-scale SLA applied."""
    env = json.loads((stack.data_dir / "env.json").read_text(encoding="utf-8"))
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        table = env["TABLE_NAME"]
        store = DynamoConfigStore(table)
        store.apply("sla", SECONDS_SLA, actor="test", expected_version=None)
        yield dataclasses.replace(
            World().deps,
            tickets=DynamoTicketRepository(table),
            config=lambda: ConfigReader(store, ttl=0),
        )


def new_ticket(deps: Dependencies, subject: str) -> Ticket:
    now = utcnow()
    ticket, created = open_ticket(
        number=deps.tickets.next_number(),
        subject=subject,
        requester="casey@customer.test",
        channel=Channel.EMAIL,
        actor="system:intake",
        reason="test",
        group="support",
        assignee="alice@example.com",
    )
    ticket.created_at = ticket.updated_at = now
    events = clocks.refresh(deps, ticket, trigger="created", now=now)
    first = Message(ticket_id=ticket.id, kind=MessageKind.PUBLIC, author=ticket.requester, text="")
    deps.tickets.create(ticket, first, [created, *events])
    return ticket


def actions(deps: Dependencies, ticket_id: str) -> list[str]:
    return [e.action for e in deps.tickets.thread(ticket_id).events]


def test_a_breach_escalates_up_a_tier_and_notifies_by_mail_and_sms(
    stack: RunningStack, deps: Dependencies
) -> None:
    # Given a ticket in support with a 3-second first response target
    ticket = new_ticket(deps, "Breaching on the local stack")
    assert ticket.due_what == "first_response-1-1"

    # When nobody answers: the sweep finds the due timer and the escalation execution runs
    def escalated() -> Ticket | None:
        current = deps.tickets.get(ticket.id)
        return current if current.group == "support-l2" else None

    moved = wait_for(escalated, timeout=30, interval=0.5)

    # Then it is one tier up (support-l2: what groups.yaml says support escalates_to),
    # unassigned, at high priority (its clocks recomputed)
    assert moved is not None, f"not escalated; trail: {actions(deps, ticket.id)}"
    assert (moved.assignee, moved.priority.value) == (None, "high")
    # (the resolution target's warning or its breach next: which one depends on how long the
    # escalation took to run, seconds on a 3-second clock)
    assert moved.due_what in ("resolution-1-0", "resolution-1-1"), moved.due_what

    # And support-l2's lead and manager got the mail, the on-call phones the SMS
    def notified() -> Any:
        _, outbox = stack.request("GET", "/_local/outbox")
        mails = [
            m for m in outbox if m["subject"] == f"[#{ticket.number}] SLA breached: first_response"
        ]
        _, sms = stack.request("GET", "/_local/sms")
        texts = [s for s in sms if f"#{ticket.number} breached" in s["text"]]
        return (mails, texts) if mails and texts else None

    found = wait_for(notified, timeout=15, interval=0.5)
    assert found is not None, f"no mail/SMS; trail: {actions(deps, ticket.id)}"
    mails, texts = found
    assert mails[0]["to"] == ["l2-lead@example.com", "manager@example.com"]
    assert texts[0]["attributes"] == {"group": "support-l2", "level": "1"}
    assert {"sla.escalating", "ticket.updated", "sla.notified"} <= set(actions(deps, ticket.id))

    # And every AWS call the SLA functions made is allowed by their template policies
    _, report = stack.request("GET", "/_local/iam")
    functions = {c["function"] for c in report["calls"]}
    assert {"SlaSweepFunction", "EscalationFunction"} <= functions
    assert report["denied"] == []


def test_a_reply_before_the_breach_stops_it(stack: RunningStack, deps: Dependencies) -> None:
    # Given a ticket with a 3-second first response target, answered after one second
    ticket = new_ticket(deps, "Answered in time")
    replied = deps.tickets.get(ticket.id)
    events = clocks.refresh(deps, replied, trigger="agent_reply", now=utcnow())
    deps.tickets.save(replied, events)

    # When the breach time has passed and several sweeps have run
    breach = ticket.created_at + timedelta(seconds=3)
    assert wait_for(lambda: utcnow() > breach + timedelta(seconds=4), timeout=10)

    # Then nothing escalated: same group and priority, no escalation on the trail, no SMS
    after = deps.tickets.get(ticket.id)
    assert (after.group, after.priority.value) == ("support", "normal")
    assert "sla.escalating" not in actions(deps, ticket.id)
    assert "sla.achieved" in actions(deps, ticket.id)
    _, sms = stack.request("GET", "/_local/sms")
    assert [s for s in sms if f"#{ticket.number} " in s["text"]] == []


def test_a_solved_ticket_is_surveyed_and_closed_without_a_workflow(
    stack: RunningStack, deps: Dependencies
) -> None:
    # Given a ticket an agent solves (the survey is due at once, the close 2 s later)
    ticket = new_ticket(deps, "Solved on the local stack")
    solved = deps.tickets.get(ticket.id)
    event = solved.change(actor="agent:alice@example.com", reason="test", status=Status.SOLVED)
    deps.tickets.save(
        solved, [event, *clocks.refresh(deps, solved, trigger="changed", now=utcnow())]
    )

    # When the sweep finds both automation timers in turn
    closed = wait_for(
        lambda: deps.tickets.get(ticket.id).status is Status.CLOSED, timeout=30, interval=0.5
    )

    # Then the customer got the survey and the ticket closed
    assert closed, f"not closed; trail: {actions(deps, ticket.id)}"
    _, outbox = stack.request("GET", "/_local/outbox")
    assert [m for m in outbox if m["to"] == [ticket.requester] and "How did we do?" in m["subject"]]
    # And neither ran as an escalation execution: each was one invocation of the escalation
    # function, which the sweep's policy allows
    sfn = stack.client("stepfunctions")
    machine = next(
        m["stateMachineArn"]
        for m in sfn.list_state_machines()["stateMachines"]
        if "Escalation" in m["name"]
    )
    names = [e["name"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]]
    assert not [n for n in names if n.startswith(ticket.id)]
    _, report = stack.request("GET", "/_local/iam")
    assert {
        "function": "SlaSweepFunction",
        "action": "lambda:InvokeFunction",
        "resource": next(
            c["resource"] for c in report["calls"] if c["action"] == "lambda:InvokeFunction"
        ),
    } in report["calls"]
    assert report["denied"] == []

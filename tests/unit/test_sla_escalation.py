"""The sweep and the escalation steps against in-memory fakes, on frozen time: a breach moves
the ticket up the ladder and notifies by mail and SMS; a reply meanwhile cancels the rest;
automations remind, close and survey."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tessera.errors import ValidationFailed
from tessera.ports import Dependencies, Load
from tessera.sla import clocks, escalation
from tessera.sla.clocks import SlaState
from tessera.sla.sweep import sweep
from tessera.tickets.model import Channel, Message, MessageKind, Status, Ticket, open_ticket
from tests.factories import sla_config
from tests.fakes import World

MON_9 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

CONFIG = sla_config(
    "default: {first_response: {within: 1h, warn_at: 50%}, resolution: 8h}",
    "high: {first_response: 30m, resolution: 4h}",
    rest="""\
escalation:
  ladder: [support, tier2]
  contacts:
    tier2: {lead: t2-lead@example.com, manager: boss@example.com, sms: true}
    support: {lead: lead@example.com}
automations:
  pending_reminder_after: 2d
  pending_close_after: 5d
  solved_close_after: 1d
  csat_survey_on_solve: true
""",
)


@dataclass
class FakeEscalations:
    """Step Functions' naming rule: a name that ran before starts nothing."""

    names: list[str] = field(default_factory=list)

    def start(self, ticket_id: str, what: str, due_at: datetime) -> bool:
        name = f"{ticket_id}-{what}"
        if name in self.names:
            return False
        self.names.append(name)
        return True


@dataclass
class FakeAutomations:
    """The asynchronous invocations the sweep made for automation timers."""

    invoked: list[tuple[str, str]] = field(default_factory=list)

    def run(self, ticket_id: str, what: str) -> None:
        self.invoked.append((ticket_id, what))


@dataclass
class FakeSms:
    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, *, text: str, attributes: dict[str, str]) -> str:
        self.sent.append({"text": text, "attributes": attributes})
        return f"sms-{len(self.sent)}"


@dataclass
class Setup:
    world: World
    escalations: FakeEscalations
    sms: FakeSms
    deps: Dependencies
    automations: FakeAutomations


@pytest.fixture
def setup() -> Setup:
    world = World()
    world.apply_config("sla", CONFIG)
    escalations, sms, automations = FakeEscalations(), FakeSms(), FakeAutomations()
    deps = dataclasses.replace(
        world.deps,
        escalations=lambda: escalations,
        sms=lambda: sms,
        automations=lambda: automations,
    )
    return Setup(world, escalations, sms, deps, automations)


def at(hours: float) -> datetime:
    return MON_9 + timedelta(hours=hours)


def stored_ticket(setup: Setup, **values: Any) -> Ticket:
    ticket, created = open_ticket(
        number=setup.deps.tickets.next_number(),
        subject="Printer on fire",
        requester="casey@customer.test",
        channel=Channel.EMAIL,
        actor="system:intake",
        reason="mail",
        **{"group": "support", "assignee": "alice@example.com", **values},
    )
    ticket.created_at = MON_9
    events = clocks.refresh(setup.deps, ticket, trigger="created", now=MON_9)
    first = Message(ticket_id=ticket.id, kind=MessageKind.PUBLIC, author=ticket.requester, text="")
    setup.deps.tickets.create(ticket, first, [created, *events])
    return setup.deps.tickets.get(ticket.id)


def actions(setup: Setup, ticket: Ticket) -> list[str]:
    return [e.action for e in setup.deps.tickets.thread(ticket.id).events]


def run_execution(setup: Setup, ticket_id: str, what: str, now: datetime) -> list[str]:
    """What the state machine does, step by step (the ASL's Choice states in Python)."""
    begun = escalation.begin(setup.deps, ticket_id, what, now)
    if begun["action"] == "warn":
        escalation.warn(setup.deps, ticket_id, begun["target"], begun["cycle"], now)
        return ["begin", "warn"]
    if begun["action"] == "escalate":
        args = (begun["target"], begun["cycle"], begun["level"], now)
        if not escalation.escalate(setup.deps, ticket_id, *args)["proceed"]:
            return ["begin", "escalate"]
        escalation.notify(setup.deps, ticket_id, *args)
        return ["begin", "escalate", "notify"]
    if begun["action"] == "automate":
        escalation.automate(setup.deps, ticket_id, begun["kind"], now)
        return ["begin", "automate"]
    return ["begin"]


# ------------------------------------------------------------------------------------ sweep


def test_the_sweep_starts_one_named_execution_per_due_timer_and_repeats_are_no_ops(
    setup: Setup,
) -> None:
    # Given two tickets whose warnings fall due at 09:30 and one created later
    first, second = stored_ticket(setup), stored_ticket(setup)

    # When the sweep runs at 09:29 nothing is due; at 09:31 both warnings are
    assert sweep(setup.deps, at(0.48)).due == []
    result = sweep(setup.deps, at(0.52))

    # Then one execution each, named after the ticket and the timer
    assert setup.escalations.names == [
        f"{first.id}-first_response-1-0",
        f"{second.id}-first_response-1-0",
    ]
    assert len(result.started) == 2
    # And the next sweep, before the executions moved the timers on, starts nothing new
    assert sweep(setup.deps, at(0.53)).started == []


# ---------------------------------------------------------------------------- the execution


def test_warning_mails_the_assignee_and_moves_the_timer_to_the_breach(setup: Setup) -> None:
    ticket = stored_ticket(setup)
    assert run_execution(setup, ticket.id, "first_response-1-0", at(0.5)) == ["begin", "warn"]

    mail = setup.world.mailer.sent[-1]
    assert mail["to"] == ["alice@example.com"]
    assert "SLA warning" in mail["subject"]
    after = setup.deps.tickets.get(ticket.id)
    assert (after.due_at, after.due_what) == (at(1), "first_response-1-1")
    assert {"sla.warning", "sla.warned"} <= set(actions(setup, ticket))


def test_a_breach_moves_the_ticket_up_a_tier_and_notifies_by_mail_and_sms(setup: Setup) -> None:
    # Given a ticket in support whose first response breaches at 10:00
    ticket = stored_ticket(setup)
    run_execution(setup, ticket.id, "first_response-1-0", at(0.5))

    # When the breach execution runs
    steps = run_execution(setup, ticket.id, "first_response-1-1", at(1))

    # Then it is in tier2, unassigned, at high priority, its clocks recomputed for high
    after = setup.deps.tickets.get(ticket.id)
    assert steps == ["begin", "escalate", "notify"]
    assert (after.group, after.assignee, after.priority.value) == ("tier2", None, "high")
    assert SlaState.load(after.sla).clocks["resolution"].goal == timedelta(hours=4)
    # and tier2's lead and manager got a mail, the on-call phones an SMS
    mail = setup.world.mailer.sent[-1]
    assert mail["to"] == ["t2-lead@example.com", "boss@example.com"]
    assert "SLA breached" in mail["subject"]
    (sms,) = setup.sms.sent
    assert f"#{ticket.number} breached first response" in sms["text"]
    assert sms["attributes"] == {"group": "tier2", "level": "1"}
    # and every step is on the audit trail, by the policy
    trail = setup.deps.tickets.thread(ticket.id).events
    escalated = next(e for e in trail if e.action == "ticket.updated" and "group" in e.changes)
    assert escalated.actor == "policy:standard"
    assert escalated.changes["group"] == ("support", "tier2")
    assert {"sla.escalating", "sla.notified"} <= set(actions(setup, ticket))


def test_a_reply_after_the_claim_cancels_the_rest(setup: Setup) -> None:
    # Given the breach execution has claimed its timer
    ticket = stored_ticket(setup)
    begun = escalation.begin(setup.deps, ticket.id, ticket.due_what or "", at(1))
    assert begun["action"] == "warn"  # the warning first
    begun = escalation.begin(setup.deps, ticket.id, "first_response-1-1", at(1))
    assert begun["action"] == "escalate"

    # When an agent replies before the escalate step runs
    replied = setup.deps.tickets.get(ticket.id)
    events = clocks.refresh(setup.deps, replied, trigger="agent_reply", now=at(1.01))
    setup.deps.tickets.save(replied, events)
    result = escalation.escalate(setup.deps, ticket.id, "first_response", 1, 1, at(1.02))

    # Then the step stops, nothing moved, nobody was notified, and the trail says why
    after = setup.deps.tickets.get(ticket.id)
    assert result["proceed"] is False
    assert (after.group, after.priority.value) == ("support", "normal")
    assert setup.sms.sent == []
    assert "escalation.cancelled" in actions(setup, ticket)


def test_a_timer_the_ticket_moved_past_begins_nothing(setup: Setup) -> None:
    ticket = stored_ticket(setup)
    assert escalation.begin(setup.deps, ticket.id, "first_response-1-1", at(2))["action"] == "none"


def test_a_failure_is_recorded_and_moves_the_timer_on(setup: Setup) -> None:
    ticket = stored_ticket(setup)
    escalation.record_failure(
        setup.deps, ticket.id, "first_response-1-0", {"Error": "Boom", "Cause": "x"}, at(0.5)
    )
    after = setup.deps.tickets.get(ticket.id)
    assert after.due_what == "first_response-1-1"
    assert "escalation.failed" in actions(setup, ticket)


# ------------------------------------------------------------------------------ automations


def move(setup: Setup, ticket_id: str, now: datetime, **values: Any) -> Ticket:
    ticket = setup.deps.tickets.get(ticket_id)
    event = ticket.change(actor="agent:alice@example.com", reason="test", **values)
    events = clocks.refresh(setup.deps, ticket, trigger="changed", now=now)
    setup.deps.tickets.save(ticket, [event, *events])
    return setup.deps.tickets.get(ticket_id)


def test_pending_reminder_then_auto_close_with_notice_then_survey(setup: Setup) -> None:
    # Given a ticket set pending Monday 10:00
    ticket = move(setup, stored_ticket(setup).id, at(1), status=Status.PENDING)
    assert ticket.due_what == "auto-pending_reminder-1"

    # When the reminder falls due two days later
    assert run_execution(setup, ticket.id, "auto-pending_reminder-1", at(49)) == [
        "begin",
        "automate",
    ]
    reminder = setup.world.mailer.sent[-1]
    assert reminder["to"] == ["casey@customer.test"]
    assert "waiting for your reply" in reminder["text"]
    ticket = setup.deps.tickets.get(ticket.id)
    # Then the close is due 5 days after pending began
    assert ticket.due_at == at(1 + 5 * 24)

    # When the close falls due: solved, with a notice, and the survey is due at once
    run_execution(setup, ticket.id, ticket.due_what or "", at(1 + 5 * 24))
    ticket = setup.deps.tickets.get(ticket.id)
    assert ticket.status is Status.SOLVED
    assert "closed this request" in setup.world.mailer.sent[-1]["text"]
    assert ticket.due_what is not None
    assert ticket.due_what.startswith("auto-csat_survey-")

    run_execution(setup, ticket.id, ticket.due_what, at(1 + 5 * 24))
    survey = setup.world.mailer.sent[-1]
    assert "How did we do?" in survey["subject"]
    # with the signed link to the ticket's page, and a score reply does not reopen it
    assert "/signin.html#ticket=" in survey["text"]
    assert "does not reopen" in survey["text"]
    ticket = setup.deps.tickets.get(ticket.id)
    assert ticket.due_what is not None
    assert ticket.due_what.startswith("auto-solved_close-")

    # And a day later the solved ticket closes
    run_execution(setup, ticket.id, ticket.due_what, at(2 + 6 * 24))
    ticket = setup.deps.tickets.get(ticket.id)
    assert (ticket.status, ticket.due_at) == (Status.CLOSED, None)


def test_the_sweep_runs_an_automation_timer_by_one_invocation_not_an_execution(
    setup: Setup,
) -> None:
    # Given a ticket solved Monday 10:00 (the survey is due at once)
    ticket = move(setup, stored_ticket(setup).id, at(1), status=Status.SOLVED)
    assert (ticket.due_what or "").startswith("auto-csat_survey-")

    # When the sweep runs
    result = sweep(setup.deps, at(1.01))

    # Then it invoked the automation step once and started no execution
    assert setup.automations.invoked == [(ticket.id, ticket.due_what)]
    assert setup.escalations.names == []
    assert len(result.started) == 1


def test_an_automation_step_claims_its_timer_so_a_repeat_does_nothing(setup: Setup) -> None:
    # Given a solved ticket whose survey is due
    ticket = move(setup, stored_ticket(setup).id, at(1), status=Status.SOLVED)
    what = ticket.due_what or ""

    # When the automation step runs twice (the next sweep, or Lambda's retry)
    first = escalation.run_automation(setup.deps, ticket.id, what, at(1.01))
    second = escalation.run_automation(setup.deps, ticket.id, what, at(1.02))

    # Then the survey went out once, and the close is the next timer
    assert first["action"] == "automate"
    assert second["action"] == "none"
    surveys = [m for m in setup.world.mailer.sent if "How did we do?" in m["subject"]]
    assert len(surveys) == 1
    assert (setup.deps.tickets.get(ticket.id).due_what or "").startswith("auto-solved_close-")


def test_an_automation_step_refuses_an_sla_timer(setup: Setup) -> None:
    ticket = stored_ticket(setup)
    with pytest.raises(ValidationFailed):
        escalation.run_automation(setup.deps, ticket.id, "first_response-1-0", at(0.5))


def test_a_failed_automation_is_on_the_trail_and_raised(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a solved ticket and a mailer that fails
    ticket = move(setup, stored_ticket(setup).id, at(1), status=Status.SOLVED)

    def broken(**_: Any) -> str:
        raise RuntimeError("mail down")

    monkeypatch.setattr(setup.world.mailer, "send", broken)

    # When the survey step runs, Then it fails loudly and the trail says why
    with pytest.raises(RuntimeError):
        escalation.run_automation(setup.deps, ticket.id, ticket.due_what or "", at(1.01))
    assert "escalation.failed" in actions(setup, ticket)


def test_a_customer_reply_cancels_the_pending_reminder(setup: Setup) -> None:
    ticket = move(setup, stored_ticket(setup).id, at(1), status=Status.PENDING)
    ticket = move(setup, ticket.id, at(5), status=Status.OPEN)
    assert ticket.due_what is not None
    assert not ticket.due_what.startswith("auto-")
    assert escalation.begin(setup.deps, ticket.id, "auto-pending_reminder-1", at(49)) == {
        "action": "none",
        "why": f"the ticket's next timer is {ticket.due_what}",
    }


GROUPS = """\
groups:
  - name: support
    escalates_to: specialists
  - name: specialists
agents:
  - email: alice@example.com
    groups: [support]
"""


def test_the_groups_directory_decides_the_next_tier_and_the_agent_gets_the_load_back(
    setup: Setup,
) -> None:
    # Given the routing directory says support escalates to specialists, and alice's count
    setup.world.apply_config("groups", GROUPS)
    setup.world.agent_loads._loads = {"alice@example.com": Load("alice@example.com", 1, 1, 0)}
    ticket = stored_ticket(setup)
    run_execution(setup, ticket.id, "first_response-1-0", at(0.5))

    # When the first response breaches
    run_execution(setup, ticket.id, "first_response-1-1", at(1))

    # Then the ticket goes to specialists (not the SLA ladder's tier2) and leaves alice's load
    after = setup.deps.tickets.get(ticket.id)
    assert (after.group, after.assignee) == ("specialists", None)
    assert setup.world.agent_loads.loads()["alice@example.com"].open == 0

"""SLA clocks on frozen time: which clocks run, pause, stop and how each ends, and the ticket's
next due timer. The calendar is 09:00-17:00 UTC on weekdays; 3 March 2025 is a Monday."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tessera.sla import clocks
from tessera.sla.clocks import Record, SlaState, Trigger
from tessera.tickets.model import Channel, Event, Priority, Status, Ticket, open_ticket
from tests.factories import sla_config
from tests.fakes import World

MON_9 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

CONFIG = sla_config(
    "urgent: {first_response: 1h, next_reply: 1h, periodic_update: 2h, resolution: 4h}",
    "default: {first_response: {within: 2h, warn_at: 50%}, next_reply: 4h, periodic_update: 8h,"
    " resolution: 16h}",
    pause=(
        "pending: [first_response, next_reply, periodic_update, resolution]",
        "on-hold: [resolution]",
    ),
    rest="""\
escalation: {warn_at: 75%}
automations:
  pending_reminder_after: 3d
  pending_close_after: 7d
  solved_close_after: 4d
  csat_survey_on_solve: true
""",
)


def at(hours: float = 0, days: int = 0) -> datetime:
    return MON_9 + timedelta(days=days, hours=hours)


@pytest.fixture
def world() -> World:
    world = World()
    world.apply_config("sla", CONFIG)
    return world


def new_ticket(world: World, **values: Any) -> Ticket:
    ticket, _ = open_ticket(
        number=1001,
        subject="Printer on fire",
        requester="casey@customer.test",
        channel=Channel.EMAIL,
        actor="system:intake",
        reason="mail",
        **values,
    )
    ticket.created_at = ticket.updated_at = MON_9
    refresh(world, ticket, "created", MON_9)
    return ticket


def refresh(world: World, ticket: Ticket, trigger: Trigger, now: datetime) -> list[Event]:
    return clocks.refresh(world.deps, ticket, trigger=trigger, now=now)


def change(world: World, ticket: Ticket, now: datetime, **values: Any) -> list[Event]:
    ticket.change(actor="agent:alice@example.com", reason="test", **values)
    return refresh(world, ticket, "changed", now)


def state(ticket: Ticket) -> SlaState:
    return SlaState.load(ticket.sla)


def record(ticket: Ticket, target: str) -> Record:
    return next(r for r in reversed(state(ticket).records) if r.target == target)


# -------------------------------------------------------------------------------- starting


def test_a_new_ticket_runs_first_response_and_resolution_and_is_due_at_the_first_warning(
    world: World,
) -> None:
    # Given a normal-priority ticket created Monday 09:00
    ticket = new_ticket(world)

    # Then first response (2h, warn at 50%) and resolution (16h, warn at 75%) run
    assert set(state(ticket).clocks) == {"first_response", "resolution"}
    # and the next timer is the first response's warning at 10:00
    assert (ticket.due_at, ticket.due_what) == (at(1), "first_response-1-0")


def test_without_sla_config_nothing_is_due() -> None:
    world = World()
    ticket, _ = open_ticket(
        number=1, subject="s", requester="a@b.test", channel=Channel.EMAIL, actor="t", reason="r"
    )
    assert clocks.refresh(world.deps, ticket, trigger="created", now=MON_9) == []
    assert ticket.due_at is None


def test_a_ticket_created_after_hours_counts_from_the_next_opening(world: World) -> None:
    ticket, _ = open_ticket(
        number=1, subject="s", requester="a@b.test", channel=Channel.EMAIL, actor="t", reason="r"
    )
    ticket.created_at = datetime(2025, 3, 7, 18, 0, tzinfo=UTC)  # Friday evening
    refresh(world, ticket, "created", ticket.created_at)
    assert ticket.due_at == datetime(2025, 3, 10, 10, 0, tzinfo=UTC)  # Monday 10:00 (warning)


# ----------------------------------------------------------------------------------- replies


def test_the_first_public_reply_achieves_first_response_and_starts_periodic_update(
    world: World,
) -> None:
    ticket = new_ticket(world)

    # When an agent replies at 10:30
    events = refresh(world, ticket, "agent_reply", at(1.5))

    # Then first response is achieved with 1:30 used of 2:00, and periodic update runs
    done = record(ticket, "first_response")
    assert (done.outcome, done.used, done.over) == ("achieved", timedelta(hours=1.5), timedelta(0))
    assert set(state(ticket).clocks) == {"resolution", "periodic_update"}
    assert "sla.achieved" in [e.action for e in events]
    assert all(e.actor == "policy:standard" for e in events)


def test_a_late_first_reply_is_breached_by_the_business_time_over(world: World) -> None:
    ticket = new_ticket(world)
    # Monday 16:00 -> Tuesday 10:00 is 2 business hours more: 9 business hours used in all
    refresh(world, ticket, "agent_reply", at(25))
    done = record(ticket, "first_response")
    assert (done.outcome, done.used, done.over) == (
        "breached",
        timedelta(hours=9),
        timedelta(hours=7),
    )


def test_next_reply_starts_on_a_customer_message_only_after_the_first_response(
    world: World,
) -> None:
    ticket = new_ticket(world)
    # Given the customer writes again before anyone answered: first response still runs alone
    refresh(world, ticket, "customer_message", at(0.5))
    assert "next_reply" not in state(ticket).clocks

    # When an agent replies and the customer answers twice
    refresh(world, ticket, "agent_reply", at(1))
    refresh(world, ticket, "customer_message", at(2))
    refresh(world, ticket, "customer_message", at(3))

    # Then next reply runs from the first of those messages
    clock = state(ticket).clocks["next_reply"]
    assert (clock.started_at, clock.cycle) == (at(2), 1)

    # And the next agent reply achieves it; the first response record is untouched
    refresh(world, ticket, "agent_reply", at(4))
    assert record(ticket, "next_reply").used == timedelta(hours=2)
    assert record(ticket, "first_response").outcome == "achieved"
    assert state(ticket).clocks["periodic_update"].cycle == 2


# ----------------------------------------------------------------------------- pause, resume


def test_pending_pauses_what_the_policy_says_and_open_resumes_it(world: World) -> None:
    ticket = new_ticket(world)
    refresh(world, ticket, "agent_reply", at(1))

    # When the agent sets it pending at 10:00 and the customer reopens it Wednesday 09:00
    change(world, ticket, at(1), status="pending")
    assert ticket.due_at == at(1, days=3)  # only the pending reminder remains due (3 days)
    change(world, ticket, at(days=2), status="open")

    # Then resolution counts only the hour before pending
    resolution = state(ticket).clocks["resolution"]
    assert resolution.used == timedelta(hours=1)
    assert resolution.running_since == at(days=2)
    # and the reminder was cancelled
    assert state(ticket).automations == []


def test_on_hold_pauses_only_resolution_here(world: World) -> None:
    ticket = new_ticket(world)
    change(world, ticket, at(1), status="on-hold")
    running = {n for n, c in state(ticket).clocks.items() if c.running_since is not None}
    assert running == {"first_response"}


def test_solving_records_resolution_and_reopening_resumes_it(world: World) -> None:
    ticket = new_ticket(world)
    refresh(world, ticket, "agent_reply", at(1))
    change(world, ticket, at(3), status="solved")
    assert record(ticket, "resolution").used == timedelta(hours=3)
    assert state(ticket).clocks == {}
    kinds = [a.kind for a in state(ticket).automations]
    assert kinds == ["csat_survey", "solved_close"]

    # When the customer replies on Tuesday 09:00 and intake reopens it
    ticket.change(actor="system:intake", reason="customer replied", status="open")
    refresh(world, ticket, "customer_message", at(24))

    # Then resolution resumes with its 3 hours (a new cycle), next reply starts, automations go
    resolution = state(ticket).clocks["resolution"]
    assert (resolution.used, resolution.cycle) == (timedelta(hours=3), 2)
    assert "next_reply" in state(ticket).clocks
    assert [r.target for r in state(ticket).records] == ["first_response", "periodic_update"]
    assert state(ticket).automations == []


def test_closing_stops_everything(world: World) -> None:
    ticket = new_ticket(world)
    change(world, ticket, at(1), status="closed")
    assert (state(ticket).clocks, ticket.due_at) == ({}, None)
    outcomes = {r.target: r.outcome for r in state(ticket).records}
    assert outcomes == {"resolution": "achieved", "first_response": "cancelled"}


# -------------------------------------------------------------------------------- recompute


def test_a_priority_change_recomputes_every_running_target(world: World) -> None:
    ticket = new_ticket(world)
    # When it becomes urgent at 09:30: first response is 1h now (30 min used), resolution 4h
    events = change(world, ticket, at(0.5), priority="urgent")

    clocks_now = state(ticket).clocks
    assert clocks_now["first_response"].goal == timedelta(hours=1)
    assert clocks_now["first_response"].used == timedelta(minutes=30)
    # warning at 75% of 1h (the escalation default) = 45 min used -> 09:45
    assert (ticket.due_at, ticket.due_what) == (at(0.75), "first_response-1-0")
    assert [e.action for e in events].count("sla.recomputed") == 2


def test_a_smaller_goal_already_passed_falls_due_at_once(world: World) -> None:
    ticket = new_ticket(world)
    change(world, ticket, at(3), priority="urgent")  # 3h used of a 1h first response
    assert ticket.due_at == at(3)
    assert ticket.due_what is not None
    assert ticket.due_what.startswith("first_response-1-")


def test_the_due_timer_is_the_earliest_running_deadline(world: World) -> None:
    ticket = new_ticket(world, priority=Priority.URGENT)
    refresh(world, ticket, "agent_reply", at(0.25))
    # periodic update 2h from 09:15 warns at 75% (10:45); resolution 4h warns at 12:00
    assert (ticket.due_at, ticket.due_what) == (at(1.75), "periodic_update-1-0")


def test_state_survives_a_round_trip(world: World) -> None:
    ticket = new_ticket(world)
    refresh(world, ticket, "agent_reply", at(1))
    assert SlaState.load(state(ticket).dump()) == state(ticket)


def test_refresh_when_nothing_changed_changes_nothing(world: World) -> None:
    ticket = new_ticket(world)
    before = (dict(ticket.sla), ticket.due_at)
    assert refresh(world, ticket, "changed", at(1)) == []
    assert (dict(ticket.sla), ticket.due_at) == before


def test_pending_schedules_the_reminder(world: World) -> None:
    ticket = new_ticket(world)
    change(world, ticket, at(1), status=Status.PENDING)
    (reminder,) = state(ticket).automations
    assert (reminder.kind, reminder.due_at) == ("pending_reminder", at(1, days=3))
    assert ticket.due_what == reminder.what


# ------------------------------------------------------------------ standings (the SLA panel)
def test_standings_say_when_each_target_warns_and_breaches_and_when_it_is_paused(
    world: World,
) -> None:
    ticket = new_ticket(world)
    config = world.deps.config().get("sla")
    # Half an hour in: first response used 30 min of 2 h, warns at 1 h, breaches at 2 h
    first, resolution = clocks.standings(ticket, config, at(0.5))
    assert (first.target, resolution.target) == ("first_response", "resolution")
    assert first.used == timedelta(minutes=30)
    assert first.goal == timedelta(hours=2)
    assert (first.warning_at, first.due_at) == (at(1), at(2))
    assert not first.paused
    assert not first.breached
    # Past the goal: breached, no instants left to reach
    late = clocks.standings(ticket, config, at(2.5))[0]
    assert late.breached
    assert (late.warning_at, late.due_at) == (None, None)
    # Pending pauses every target: no due time while paused
    change(world, ticket, at(0.5), status="pending")
    paused = clocks.standings(ticket, config, at(3))
    assert all(s.paused for s in paused)
    assert all(s.due_at is None for s in paused)
    assert paused[0].used == timedelta(minutes=30)


def test_no_sla_config_means_no_standings(world: World) -> None:
    ticket = new_ticket(world)
    assert clocks.standings(ticket, None, at(1)) == []

"""The thin handlers of the routing, escalation and sweep functions: each parses its event
(tests/events), refuses what it cannot run naming the field, and hands the rest to the domain."""

from __future__ import annotations

from typing import Any

import pytest

import escalation.app
import routing.app
import sla_sweep.app
from tessera import bootstrap
from tessera.errors import NotFound, ValidationFailed
from tests import events
from tests.factories import stored_ticket
from tests.fakes import World


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    fake = World()
    monkeypatch.setattr(bootstrap, "dependencies", lambda: fake.deps)
    return fake


def a_ticket(world: World) -> str:
    return stored_ticket(world.tickets, mailbox="support@example.com").id


def refused(handler: Any, event: dict[str, Any]) -> str:
    with pytest.raises(ValidationFailed) as raised:
        handler(event, None)
    return raised.value.field


@pytest.mark.parametrize("handler", [routing.app.handler, escalation.app.handler])
def test_a_task_without_a_ticket_id_is_refused_naming_it(world: World, handler: Any) -> None:
    # Given a task input whose ticket_id is missing or not a string
    for ticket_id in (None, "", 42):
        event = events.load("routing_route", ticket_id=ticket_id)
        # Then the handler refuses it, naming the field
        assert refused(handler, event) == "ticket_id"


@pytest.mark.parametrize("handler", [routing.app.handler, escalation.app.handler])
def test_an_unknown_step_is_refused_naming_it(world: World, handler: Any) -> None:
    event = events.load("routing_route", step="celebrate", ticket_id=a_ticket(world))
    assert refused(handler, event) == "step"


def test_the_route_step_runs_the_routing_use_case(world: World) -> None:
    # Given a stored ticket from the support mailbox, whose group is "support"
    world.apply_config(
        "mailboxes", "mailboxes:\n  - address: support@example.com\n    group: support\n"
    )
    ticket_id = a_ticket(world)
    # When the task runs
    result = routing.app.handler(events.load("routing_route", ticket_id=ticket_id), None)
    # Then the ticket was routed to that group and saved, and the state machine goes on
    assert (result["group"], result["proceed"]) == ("support", True)
    assert world.tickets.get(ticket_id).group == "support"


def test_a_route_step_for_a_missing_ticket_fails_for_the_state_machine(world: World) -> None:
    with pytest.raises(NotFound):
        routing.app.handler(
            events.load("routing_route", ticket_id="01JNQ6ZK4Y5VQ3F0W8T2D1C9BA"), None
        )


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"what": ""}, "what"),
        ({"step": "warn", "target": "first_response"}, "cycle"),
        ({"step": "warn", "cycle": True, "target": "first_response"}, "cycle"),
        ({"step": "escalate", "target": "first_response", "cycle": 0}, "level"),
        ({"step": "automate"}, "kind"),
        ({"step": "automation", "what": ""}, "what"),
        ({"step": "automation", "what": "first_response-1-0"}, "what"),
    ],
)
def test_escalation_steps_refuse_missing_or_mistyped_fields(
    world: World, fields: dict[str, Any], named: str
) -> None:
    event = events.load("escalation_begin", ticket_id=a_ticket(world), **fields)
    assert refused(escalation.app.handler, event) == named


def test_the_sweep_takes_its_time_from_the_schedule_event(world: World) -> None:
    # Given the scheduler's tick at 09:15 and nothing due
    result = sla_sweep.app.handler(events.load("schedule_sweep"), None)
    # Then the sweep ran for that minute and started nothing
    assert result == {"due": [], "started": 0}

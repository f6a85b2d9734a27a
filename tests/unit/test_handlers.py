"""The thin handlers of the routing, escalation and sweep functions: each parses its event
(tests/events), refuses what it cannot run naming the field, and hands the rest to the domain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import escalation.app
import intake.app
import routing.app
import sla_sweep.app
from tessera import bootstrap, observability, settings
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


# ------------------------------------------------------------------ logs and metrics (EMF)
def emitted(out: str) -> dict[str, dict[str, Any]]:
    """The EMF documents in what a handler printed, by metric name."""
    found = {}
    for line in out.splitlines():
        if line.startswith("{") and '"CloudWatchMetrics"' in line:
            document = json.loads(line)
            for directive in document["_aws"]["CloudWatchMetrics"]:
                for metric in directive["Metrics"]:
                    found[metric["Name"]] = {**document, "_directive": directive}
    return found


def test_a_routing_failure_is_a_metric_and_logs_carry_the_ticket_id(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a ticket whose routing failed
    ticket_id = a_ticket(world)
    event = events.load("routing_route", step="record_failure", ticket_id=ticket_id)
    event["error"] = {"Error": "States.Timeout", "Cause": "assign timed out"}

    # When the failure step runs
    routing.app.handler(event, None)

    # Then one RoutingFailed count went out as EMF, in the namespace and dimension the
    # template's dashboard reads, with the ticket id as metadata
    document = emitted(capsys.readouterr().out)["RoutingFailed"]
    assert document["RoutingFailed"] == [1.0]
    assert document["_directive"]["Namespace"] == "Tessera"
    assert document["_directive"]["Dimensions"] == [["service"]]
    assert document["service"] == "tessera"
    assert document["ticket_id"] == ticket_id
    # And what the invocation logs is correlated by that ticket id
    assert observability.correlation_id() == ticket_id


def test_every_sweep_reports_its_lag(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    # Given nothing due
    # When the sweep runs
    sla_sweep.app.handler(events.load("schedule_sweep"), None)

    # Then it reports a lag of 0 seconds (the alarm's metric exists even when all is well), and
    # its logs carry no ticket's correlation id
    document = emitted(capsys.readouterr().out)["SweepLag"]
    assert document["SweepLag"] == [0.0]
    assert document["_directive"]["Metrics"] == [{"Name": "SweepLag", "Unit": "Seconds"}]
    assert observability.correlation_id() is None


@pytest.fixture
def intake_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RAW_MAIL_BUCKET", "raw-mail")
    monkeypatch.setenv("RAW_MAIL_PREFIX", "inbound/")
    monkeypatch.setenv("SUPPORT_ADDRESSES", "support@example.com")
    settings.mail_intake.cache_clear()
    yield
    settings.mail_intake.cache_clear()


def test_each_mail_intake_outcome_is_its_metric(
    world: World, intake_settings: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a customer's new mail, and one SES found a virus in, both stored by the receipt rule
    world.raw_mail.objects["inbound/m-new"] = (
        b"From: Dana <dana@customer.test>\r\nTo: support@example.com\r\n"
        b"Subject: Printer on fire\r\nMessage-ID: <fire@customer.test>\r\n\r\nHelp!\r\n"
    )
    world.raw_mail.objects["inbound/m-virus"] = world.raw_mail.objects["inbound/m-new"].replace(
        b"<fire@", b"<virus@"
    )
    (new,) = events.ses_inbound("m-new")["Records"]
    (virus,) = events.ses_inbound("m-virus")["Records"]
    virus["ses"]["receipt"]["virusVerdict"] = {"status": "FAIL"}

    # When intake processes each
    created = intake.app.process_record(new)
    quarantined = intake.app.process_record(virus)

    # Then the first is a TicketCreated count about its ticket, the second a MailQuarantined
    out = emitted(capsys.readouterr().out)
    assert (created["result"], quarantined["result"]) == ("created", "quarantined")
    assert out["TicketCreated"]["TicketCreated"] == [1.0]
    assert out["TicketCreated"]["ticket_id"] == created["ticket_id"]
    assert out["MailQuarantined"]["MailQuarantined"] == [1.0]
    assert "TicketReplied" not in out

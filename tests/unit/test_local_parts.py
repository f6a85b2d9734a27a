"""The local stack's pieces that imitate AWS: template intrinsics, API Gateway routing and events,
SES receipt rule matching and events, schedules."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tessera_local import lambdas
from tessera_local.clock import Schedule, scheduled_event, schedules
from tessera_local.http import Route, api_routes, proxy_event
from tessera_local.smtp import ReceiptRule, Spool, Spooled, receipt_rules, ses_event
from tessera_local.stack import Settings
from tessera_local.streams import subscriptions
from tessera_local.template import Template, TemplateError
from tests import events


@pytest.fixture(scope="module")
def template() -> Template:
    return Template.load()


def test_intrinsics_resolve_to_local_names(template: Template) -> None:
    assert template.resolve({"Ref": "TicketsTable"}) == "tessera-local-TicketsTable"
    assert template.resolve({"Fn::Sub": "${TicketsTable.Arn}/index/*"}) == (
        "arn:aws:dynamodb:us-east-1:123456789012:table/tessera-local-TicketsTable/index/*"
    )
    assert template.resolve({"Fn::Join": [",", {"Ref": "SupportAddresses"}]}) == (
        "support@example.com,billing@example.com"
    )
    assert template.resolve({"Fn::Sub": ["${A}-x", {"A": "b"}]}) == "b-x"


def test_unknown_reference_is_refused(template: Template) -> None:
    with pytest.raises(TemplateError, match="NoSuchThing"):
        template.resolve({"Ref": "NoSuchThing"})


def test_globals_are_merged_into_function_properties(template: Template) -> None:
    props = template.function_properties("IntakeFunction")
    assert props["Runtime"] == "python3.12"
    assert {"TABLE_NAME", "RAW_MAIL_BUCKET"} <= set(props["Environment"]["Variables"])


def test_api_routes_match_paths_and_build_proxy_events(template: Template) -> None:
    routes = {(r.method, r.resource) for r in api_routes(template)}
    assert ("GET", "/api/tickets/{ticket_id}") in routes

    route = Route.make("GET", "/api/tickets/{ticket_id}", "ApiFunction")
    assert route.pattern.match("/api/tickets/T1")
    assert not route.pattern.match("/api/tickets/T1/extra")
    event = proxy_event(route, "GET", "/api/tickets/T%201", "limit=2&x=1&x=2", {"A": "b"}, b"")
    assert event["pathParameters"] == {"ticket_id": "T 1"}
    assert event["requestContext"]["resourcePath"] == "/api/tickets/{ticket_id}"
    assert event["queryStringParameters"] == {"limit": "2", "x": "2"}
    assert event["multiValueQueryStringParameters"]["x"] == ["1", "2"]
    assert event["body"] is None


def test_greedy_path_parameter_spans_slashes() -> None:
    route = Route.make("ANY", "/api/files/{key+}", "F")
    match = route.pattern.match("/api/files/a/b/c.txt")
    assert match is not None
    assert match.group("key") == "a/b/c.txt"


def test_receipt_rule_matches_addresses_and_domains(template: Template) -> None:
    [rule] = receipt_rules(template)
    assert rule.matches("Support@Example.com")
    assert not rule.matches("someone@example.com")
    domain_rule = ReceiptRule({"Name": "d", "Recipients": ["example.org"], "Actions": []})
    assert domain_rule.matches("any@example.org")
    assert domain_rule.matches("any@mail.example.org")
    assert not domain_rule.matches("any@notexample.org")


def test_ses_event_carries_message_id_recipients_and_verdicts() -> None:
    raw = b"From: a@b.test\r\nTo: support@example.com\r\nSubject: Hi\r\n\r\nbody"
    event = ses_event(
        "abc",
        raw,
        "a@b.test",
        ["support@example.com"],
        "2026-01-01T00:00:00.000Z",
        {"FunctionArn": "arn:fn", "InvocationType": "Event"},
    )
    ses = event["Records"][0]["ses"]
    assert ses["mail"]["messageId"] == "abc"
    assert ses["mail"]["commonHeaders"]["subject"] == "Hi"
    assert ses["receipt"]["recipients"] == ["support@example.com"]
    assert ses["receipt"]["spamVerdict"] == {"status": "PASS"}
    assert ses["receipt"]["action"]["type"] == "Lambda"
    # And it has the shape of the event SES delivers (tests/events/ses_inbound.json)
    assert events.shape(event) == events.shape(events.load("ses_inbound"))


def test_schedules_come_from_the_template(template: Template) -> None:
    # Given the template's schedules: the SLA sweep every minute, the reports' digest every
    # week, the reconciler every five minutes
    dead_letters = template.get_att("ScheduleDeadLetterQueue", "Arn")
    assert schedules(template) == [
        Schedule("SlaSweepFunction", "Sweep", 60, retries=2, dead_letter_arn=dead_letters),
        Schedule(
            "ReportsDigestFunction", "Weekly", 7 * 86400, retries=2, dead_letter_arn=dead_letters
        ),
        Schedule("ReconcilerFunction", "Reconcile", 300, retries=2, dead_letter_arn=dead_letters),
    ]
    event = scheduled_event(
        Schedule("SlaSweepFunction", "Sweep", 60), datetime(2026, 1, 2, tzinfo=UTC)
    )
    assert (event["detail-type"], event["time"]) == ("Scheduled Event", "2026-01-02T00:00:00Z")
    assert events.shape(event) == events.shape(events.load("schedule_sweep"))


def test_settings_from_environment_and_bad_flags() -> None:
    settings = Settings.from_env({"TESSERA_HTTP_PORT": "9000", "TESSERA_FRESH": "1"})
    assert (settings.http_port, settings.smtp_port, settings.fresh, settings.demo) == (
        9000,
        2525,
        True,
        True,
    )
    with pytest.raises(ValueError, match="TESSERA_DEMO"):
        Settings.from_env({"TESSERA_DEMO": "maybe"})


def test_the_spool_keeps_a_mail_until_its_delivery_is_done(tmp_path: Path) -> None:
    # Given a mail written to the spool (what the SMTP server does before it answers 250)
    spool = Spool(tmp_path / "spool")
    mail = Spooled("abc", "a@b.test", ("support@example.com",), "2026-01-01T00:00:00.000Z", b"x")
    spool.put(mail)
    (tmp_path / "spool" / "half.tmp").write_bytes(b"never answered")
    # Then a stack started now finds it pending, as it was, and nothing half-written
    assert Spool(tmp_path / "spool").pending() == [mail]
    assert not (tmp_path / "spool" / "half.tmp").exists()
    # And once its delivery is done it is gone
    spool.done("abc")
    assert spool.pending() == []


def test_an_async_invocation_that_keeps_failing_ends_in_the_dead_letter_queue(
    template: Template, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given intake failing on every attempt, and a queue that records what is sent to it
    monkeypatch.setattr(lambdas, "RETRY_DELAY", 0)
    functions = lambdas.Functions(template)
    attempts: list[str] = []

    def failing(event: dict[str, Any], context: Any) -> None:
        attempts.append(context.aws_request_id)
        raise RuntimeError("S3 is down")

    logical_id, _ = functions._handlers["IntakeFunction"]
    functions._handlers["IntakeFunction"] = (logical_id, failing)
    sent: list[tuple[str, str, dict[str, str]]] = []
    functions.send_to_queue = lambda arn, body, attributes: sent.append((arn, body, attributes))
    done = threading.Event()
    # When SES invokes it asynchronously
    functions.invoke_async("IntakeFunction", {"Records": []}, on_done=done.set)
    assert done.wait(10)
    functions.shutdown()
    # Then it ran three times (Lambda's two retries), and the event is in its dead-letter queue
    assert len(attempts) == 3
    [(arn, body, attributes)] = sent
    assert arn == template.get_att("IntakeDeadLetterQueue", "Arn")
    assert json.loads(body) == {"Records": []}
    assert attributes["ErrorMessage"] == "RuntimeError: S3 is down"


def test_a_batch_write_is_authorized_on_each_table_it_names() -> None:
    from tessera_local.iam import needs

    # Given a BatchWriteItem to two tables, when the local IAM asks what it needs
    wanted = list(needs("dynamodb", "BatchWriteItem", {"RequestItems": {"a": [], "b": []}}))
    # Then it is the BatchWriteItem action on each table, as IAM checks it
    assert [action for action, _ in wanted] == ["dynamodb:BatchWriteItem"] * 2
    assert [arn.rsplit("/", 1)[1] for _, arn in wanted] == ["a", "b"]


def test_stream_subscriptions_come_from_the_template(template: Template) -> None:
    # Given the template's functions with Type: DynamoDB events
    # When the local stack reads them
    found = subscriptions(template)
    # Then the search indexer and the reports read the tickets table's stream as their
    # mappings say
    assert [s.function for s in found] == ["SearchIndexerFunction", "ReportsFunction"]
    assert found[1].table == template.ref("TicketsTable")
    assert found[1].retries == 5
    subscription = found[0]
    assert subscription.function == "SearchIndexerFunction"
    assert subscription.table == template.ref("TicketsTable")
    assert subscription.stream_arn == template.get_att("TicketsTable", "StreamArn")
    assert (subscription.batch_size, subscription.window_seconds) == (100, 1.0)
    assert subscription.bisect
    assert subscription.retries == 5
    assert subscription.on_failure_arn == template.get_att("ChangeFeedDeadLetterQueue", "Arn")


def test_a_stream_mapping_setting_the_local_stack_cannot_honour_is_refused(
    template: Template,
) -> None:
    # Given an event with a setting the local feed does not implement
    body = json.loads(json.dumps(template.body))
    events_ = body["Resources"]["SearchIndexerFunction"]["Properties"]["Events"]
    events_["TicketChanges"]["Properties"]["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
    # When the local stack reads it, then it says which one instead of ignoring it
    with pytest.raises(TemplateError, match="FunctionResponseTypes"):
        subscriptions(Template(body=body, physical_ids=template.physical_ids))

"""The intake handler's idempotency on the tickets table (moto): one SES delivery processed
twice runs the use case once; a failed attempt leaves no record, so Lambda's retry runs it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest

from intake import app
from tessera import bootstrap, settings
from tessera.errors import NotFound
from tests import events
from tests.fakes import World


@dataclass
class Context:
    function_name: str = "IntakeFunction"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def world(tickets_table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("TABLE_NAME", tickets_table)
    monkeypatch.setenv("RAW_MAIL_BUCKET", "raw")
    monkeypatch.setenv("RAW_MAIL_PREFIX", "inbound/")
    monkeypatch.setenv("SUPPORT_ADDRESSES", "support@example.com")
    monkeypatch.delenv("POWERTOOLS_IDEMPOTENCY_DISABLED", raising=False)
    for cached in (settings.table_name, settings.mail_intake, app._idempotent_process):
        cached.cache_clear()
    fake = World()
    monkeypatch.setattr(bootstrap, "dependencies", lambda: fake.deps)
    yield fake
    for cached in (settings.table_name, settings.mail_intake, app._idempotent_process):
        cached.cache_clear()


MAIL = (
    b"From: dana@customer.test\r\nTo: support@example.com\r\nSubject: Help\r\n"
    b"Message-ID: <h1@customer.test>\r\n\r\nPlease help."
)


def test_the_same_ses_delivery_twice_runs_intake_once(world: World, tickets_table: str) -> None:
    # Given a stored mail
    world.raw_mail.objects["inbound/ses-a"] = MAIL

    # When SES's event for it arrives twice
    first = app.handler(events.ses_inbound("ses-a"), Context())
    world.raw_mail.objects.clear()  # a second run of the use case would now fail
    second = app.handler(events.ses_inbound("ses-a"), Context())

    # Then the second answer is the first's, from the idempotency record in the table
    assert first == second
    assert first["results"][0]["result"] == "created"
    assert len(world.tickets.recent(limit=10).items) == 1
    record = boto3.client("dynamodb").get_item(
        TableName=tickets_table,
        Key={"pk": {"S": app.IDEMPOTENCY_PARTITION}, "sk": {"S": _idempotency_sk(tickets_table)}},
    )["Item"]
    assert record["status"]["S"] == "COMPLETED"
    assert int(record["expires_at"]["N"]) > 0


def _idempotency_sk(table: str) -> str:
    items = boto3.client("dynamodb").query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": app.IDEMPOTENCY_PARTITION}},
    )["Items"]
    [item] = items
    return str(item["sk"]["S"])


def test_a_failed_attempt_is_retried_for_real(world: World) -> None:
    # Given an event whose mail is not readable yet (the first attempt fails)
    with pytest.raises(NotFound):
        app.handler(events.ses_inbound("ses-b"), Context())

    # When Lambda retries once the mail is there
    world.raw_mail.objects["inbound/ses-b"] = MAIL
    retried = app.handler(events.ses_inbound("ses-b"), Context())

    # Then the retry ran intake and made the ticket
    assert retried["results"][0]["result"] == "created"
    assert len(world.tickets.recent(limit=10).items) == 1

"""The API's adapters on moto: rate counters and idempotency keys in the tickets table,
presigned transfers with the attachments bucket."""

from __future__ import annotations

import boto3
import pytest

from tessera.adapters.dynamodb.nonces import DynamoNonces
from tessera.adapters.dynamodb.rate_counters import DynamoRateCounters
from tessera.adapters.s3 import S3FileTransfers

pytestmark = pytest.mark.integration


def test_rate_counter_refuses_past_the_limit_within_one_window(tickets_table: str) -> None:
    counters = DynamoRateCounters(tickets_table)
    taken = [
        counters.take("ip:10.0.0.1", window_start=60, window_seconds=60, limit=3) for _ in "1234"
    ]
    assert taken == [True, True, True, False]
    assert counters.take("ip:10.0.0.1", window_start=120, window_seconds=60, limit=3)
    assert counters.take("ip:10.0.0.2", window_start=60, window_seconds=60, limit=3)


def test_a_settled_nonce_keeps_its_value_and_a_released_one_can_be_claimed_again(
    tickets_table: str,
) -> None:
    nonces = DynamoNonces(tickets_table)
    assert nonces.claim("idem:a", ttl_seconds=60, value="fp") is None
    nonces.settle("idem:a", ttl_seconds=60, value="fp T1")
    assert nonces.claim("idem:a", ttl_seconds=60, value="fp") == "fp T1"
    assert nonces.claim("idem:b", ttl_seconds=60, value="fp") is None
    nonces.settle("idem:b", ttl_seconds=0, value="")
    assert nonces.claim("idem:b", ttl_seconds=60, value="fp2") is None


def test_presigned_upload_pins_type_disposition_and_size_and_describe_reads_it_back(
    aws: None,
) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="attachments")
    files = S3FileTransfers("attachments")
    post = files.presign_upload(
        "uploads/T/1",
        filename="résumé.pdf",
        content_type="application/pdf",
        max_size=9,
        expires_in=60,
    )
    policy_fields = {k: v for k, v in post.fields.items() if k in {"Content-Type", "key"}}
    assert policy_fields == {"Content-Type": "application/pdf", "key": "uploads/T/1"}
    assert post.fields["Content-Disposition"] == "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"
    assert files.describe("uploads/T/1") is None
    s3.put_object(
        Bucket="attachments",
        Key="uploads/T/1",
        Body=b"%PDF-1.7",
        ContentType="application/pdf",
        Metadata={"filename": post.fields["x-amz-meta-filename"]},
    )
    stored = files.describe("uploads/T/1")
    assert stored is not None
    assert (stored.size, stored.content_type, stored.filename) == (
        8,
        "application/pdf",
        "résumé.pdf",
    )
    url = files.presign_download(
        "uploads/T/1", filename="résumé.pdf", content_type="application/pdf", expires_in=60
    )
    assert "response-content-disposition=attachment" in url


def test_rate_counter_counts_can_be_read_without_counting(tickets_table: str) -> None:
    counters = DynamoRateCounters(tickets_table)
    assert counters.count("sign-in-failed:a@b.test", window_start=60) == 0
    counters.take("sign-in-failed:a@b.test", window_start=60, window_seconds=60, limit=9)
    counters.take("sign-in-failed:a@b.test", window_start=60, window_seconds=60, limit=9)
    assert counters.count("sign-in-failed:a@b.test", window_start=60) == 2


def test_an_escalation_that_ended_without_moving_its_timer_is_started_once_more(
    aws: None,
) -> None:
    from datetime import UTC, datetime

    from tessera.adapters.stepfunctions import StepFunctionsEscalations

    # Given the escalation machine, and the execution of one due timer aborted mid-way
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="EscalationStateMachine",
        definition='{"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": true}}}',
        roleArn="arn:aws:iam::123456789012:role/Escalation",
    )["stateMachineArn"]
    escalations = StepFunctionsEscalations(machine)
    due = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert escalations.start("T1", "first_response-1-1", due)
    [first] = sfn.list_executions(stateMachineArn=machine)["executions"]
    sfn.stop_execution(executionArn=first["executionArn"], error="LocalStackStopped")
    # When the sweep finds the timer still due, twice
    assert escalations.start("T1", "first_response-1-1", due)
    escalations.start("T1", "first_response-1-1", due)
    # Then it started it once more under a second name, and only once
    names = sorted(e["name"] for e in sfn.list_executions(stateMachineArn=machine)["executions"])
    assert names == ["T1-first_response-1-1", "T1-first_response-1-1-again"]
    # And a timer whose execution still runs gets no second one
    escalations.start("T3", "resolution-1-1", due)
    escalations.start("T3", "resolution-1-1", due)
    names = [e["name"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]]
    assert [n for n in names if n.startswith("T3")] == ["T3-resolution-1-1"]

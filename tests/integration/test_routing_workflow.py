"""The routing workflow on the local stack: mail in -> a real Step Functions execution of
routing.asl.json (moto's interpreter) -> route (the shipped rules) -> assign (the shipped groups)
-> acknowledge; and a failing step ending on the Catch path with the failure on the audit trail.

The ticket and its audit trail are read straight from the emulated table, the execution's
history from the emulated Step Functions, as an operator with the AWS CLI would."""

from __future__ import annotations

import json
import smtplib
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import boto3
import pytest

from tests.localstack import RunningStack, start_stack, stop_stack, wait_for

pytestmark = pytest.mark.integration


class Aws:
    """boto3 clients on the stack's emulator, with its resource names (env.json)."""

    def __init__(self, stack: RunningStack) -> None:
        self.env = json.loads((stack.data_dir / "env.json").read_text(encoding="utf-8"))
        session = boto3.Session(
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
            region_name=self.env["AWS_REGION"],
        )
        endpoint = self.env["AWS_ENDPOINT_URL"]
        self.dynamodb = session.client("dynamodb", endpoint_url=endpoint)
        self.sfn = session.client("stepfunctions", endpoint_url=endpoint)
        self.table = self.env["TABLE_NAME"]

    def ticket_by_subject(self, subject: str) -> dict[str, Any] | None:
        # A test may scan; the functions never do.
        items = self.dynamodb.scan(
            TableName=self.table,
            FilterExpression="#t = :ticket AND subject = :subject",
            ExpressionAttributeNames={"#t": "type"},
            ExpressionAttributeValues={":ticket": {"S": "ticket"}, ":subject": {"S": subject}},
        )["Items"]
        return items[0] if items else None

    def partition(self, ticket_id: str) -> list[dict[str, Any]]:
        return self.dynamodb.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"T#{ticket_id}"}},
            ConsistentRead=True,
        )["Items"]

    def execution(self, ticket_id: str) -> dict[str, Any] | None:
        arn = self.env["ROUTING_STATE_MACHINE_ARN"].replace(":stateMachine:", ":execution:")
        try:
            found = self.sfn.describe_execution(executionArn=f"{arn}:route-{ticket_id}")
        except self.sfn.exceptions.ExecutionDoesNotExist:
            return None
        return found if found["status"] != "RUNNING" else None

    def states_entered(self, execution_arn: str) -> list[str]:
        history = self.sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)
        return [
            e["stateEnteredEventDetails"]["name"]
            for e in history["events"]
            if "stateEnteredEventDetails" in e
        ]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack of this module's own: who gets a ticket depends on the agents' open loads, and the
    shared stack's other tests fill the billing agents up to their capacity."""
    running = start_stack(tmp_path_factory.mktemp("routing"), fresh=True)
    yield running
    stop_stack(running)


def send(stack: RunningStack, subject: str, sender: str, body: str = "Hello") -> None:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@example.com"
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4()}@customer.test>"
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)


def events_of(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {"actor": i["actor"]["S"], "action": i["action"]["S"], "reason": i["reason"]["S"]}
        for i in items
        if i["type"]["S"] == "event"
    ]


def test_mail_in_runs_route_assign_acknowledge_and_the_ticket_carries_the_decisions(
    stack: RunningStack,
) -> None:
    # Given a VIP customer (bigcorp.test in the shipped rules) writing about an invoice
    aws = Aws(stack)
    subject = f"Refund for invoice {uuid.uuid4().hex[:6]}"
    send(stack, subject, "Chris CFO <cfo@bigcorp.test>")

    # When the mail has become a ticket and its routing execution has finished
    ticket = wait_for(lambda: aws.ticket_by_subject(subject), timeout=10)
    assert ticket is not None, "the mail did not become a ticket"
    ticket_id = ticket["pk"]["S"].removeprefix("T#")
    execution = wait_for(lambda: aws.execution(ticket_id), timeout=30)
    assert execution is not None, "the routing execution did not finish"

    # Then the execution went through route, assign and acknowledge, and succeeded
    assert execution["status"] == "SUCCEEDED"
    assert aws.states_entered(execution["executionArn"]) == [
        "Route",
        "Proceed?",
        "Assign",
        "Acknowledge",
        "Done",
    ]
    # and the ticket carries the group, assignee, priority and tags the config decided
    items = aws.partition(ticket_id)
    [stored] = [i for i in items if i["type"]["S"] == "ticket"]
    assert stored["group"]["S"] == "billing"
    assert stored["assignee"]["S"] in {"alice@example.com", "eleni@example.com"}
    assert stored["priority"]["S"] == "high"
    assert set(stored["tags"]["SS"]) == {"billing", "vip"}
    # with every decision on the audit trail: the rule that fired and why, the assignment
    events = events_of(items)
    actors = [e["actor"] for e in events]
    assert "rule:money-to-billing" in actors
    assert "rule:vip-first" in actors
    vip = next(e for e in events if e["actor"] == "rule:vip-first")
    assert "requester.vip is true" in vip["reason"]
    assigned = next(e for e in events if e["actor"] == "system:assignment")
    assert assigned["reason"].startswith("least loaded in billing")
    assert any(e["action"] == "routing.evaluated" for e in events)
    # and the acknowledgement was sent
    messages = [i for i in items if i["type"]["S"] == "message"]
    assert [m["kind"]["S"] for m in messages] == ["public", "system"]


def test_spam_stops_after_route_without_assignment_or_acknowledgement(
    stack: RunningStack,
) -> None:
    aws = Aws(stack)
    subject = f"Free casino chips {uuid.uuid4().hex[:6]}"
    send(stack, subject, "spammer@junk.test")

    ticket = wait_for(lambda: aws.ticket_by_subject(subject), timeout=10)
    assert ticket is not None
    ticket_id = ticket["pk"]["S"].removeprefix("T#")
    execution = wait_for(lambda: aws.execution(ticket_id), timeout=30)
    assert execution is not None

    assert aws.states_entered(execution["executionArn"]) == ["Route", "Proceed?", "Done"]
    [stored] = [i for i in aws.partition(ticket_id) if i["type"]["S"] == "ticket"]
    assert (stored["status"]["S"], stored["tags"]["SS"]) == ("closed", ["spam"])
    assert "assignee" not in stored or stored["assignee"].get("NULL")


def test_a_failing_step_ends_on_the_catch_path_with_the_failure_on_the_audit_trail(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # Given a stack whose applied groups document has been corrupted behind the CLI's back
    stack = start_stack(tmp_path_factory.mktemp("failing"), fresh=True)
    try:
        aws = Aws(stack)
        broken = "groups:\n  - name: support\n    strategy: telepathy\n"
        for sk, extra in (("v#000002", {"text": {"S": broken}}), ("#CURRENT", {})):
            aws.dynamodb.put_item(
                TableName=aws.table,
                Item={
                    "pk": {"S": "CFG#groups"},
                    "sk": {"S": sk},
                    "version": {"N": "2"},
                    "applied_by": {"S": "saboteur"},
                    "applied_at": {"S": "2025-01-01T00:00:00.000000Z"},
                    **extra,
                },
            )
        subject = f"Any question {uuid.uuid4().hex[:6]}"

        # When a mail comes in
        send(stack, subject, "dana@customer.test")
        ticket = wait_for(lambda: aws.ticket_by_subject(subject), timeout=10)
        assert ticket is not None
        ticket_id = ticket["pk"]["S"].removeprefix("T#")
        execution = wait_for(lambda: aws.execution(ticket_id), timeout=30)
        assert execution is not None

        # Then the Assign step failed, the Catch path recorded it and the execution failed
        assert execution["status"] == "FAILED"
        states = aws.states_entered(execution["executionArn"])
        assert states == ["Route", "Proceed?", "Assign", "RecordFailure", "Failed"]
        # and the ticket is visible, unassigned in its group, with the failure on its trail
        items = aws.partition(ticket_id)
        [stored] = [i for i in items if i["type"]["S"] == "ticket"]
        assert stored["group"]["S"] == "support"
        assert "assignee" not in stored or stored["assignee"].get("NULL")
        failed = [e for e in events_of(items) if e["action"] == "routing.failed"]
        assert len(failed) == 1
        assert "ConfigurationError" in failed[0]["reason"]
        assert "strategy" in failed[0]["reason"]
    finally:
        stop_stack(stack)

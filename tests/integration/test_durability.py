"""The local stack keeps its promises as AWS would (docs/reliability.md): a restart keeps routing
and escalation working, a crash loses no accepted mail and no answered call, concurrent requests
get DynamoDB's atomicity, failed intake waits in its dead-letter queue for a redrive, and the
reconciler routes a ticket whose routing never started."""

from __future__ import annotations

import json
import os
import signal
import smtplib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tessera_local.stack import free_port
from tests import events
from tests.localstack import RunningStack, customer_session, start_stack, stop_stack, wait_for

pytestmark = pytest.mark.integration


def mail(subject: str, sender: str = "casey@customer.test") -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@example.com"
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4()}@customer.test>"
    message.set_content(f"Body of {subject}")
    return message


def tickets_with(stack: RunningStack, token: str, prefix: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        path = "/api/tickets?limit=100" + (f"&cursor={cursor}" if cursor else "")
        status, page = stack.request("GET", path, token=token)
        assert status == 200, page
        found += [t for t in page["items"] if t["subject"].startswith(prefix)]
        cursor = page["cursor"]
        if not cursor:
            return found


def routed(stack: RunningStack, token: str, subject: str) -> dict[str, Any] | None:
    ticket = next(iter(tickets_with(stack, token, subject)), None)
    return ticket if ticket and ticket["group"] and ticket["routing_since"] is None else None


def test_routing_and_escalation_work_after_a_restart(tmp_path: Path) -> None:
    # Given a stack that made a ticket and was stopped
    first = start_stack(tmp_path, fresh=True)
    try:
        with smtplib.SMTP("127.0.0.1", first.smtp_port, timeout=10) as smtp:
            smtp.send_message(mail("Before the restart"))
        assert wait_for(lambda: routed(first, first.login(), "Before the restart"), timeout=30)
    finally:
        stop_stack(first)
    # When it starts again on the same data, and a sign-in comes right after its ready line
    second = start_stack(tmp_path)
    try:
        with ThreadPoolExecutor(8) as pool:
            logins = list(
                pool.map(
                    lambda _: second.request(
                        "POST",
                        "/api/auth/login",
                        {"email": "admin@example.com", "password": "Local-test-pass-1"},
                    )[0],
                    range(8),
                )
            )
        assert logins == [200] * 8
        token = second.login()
        with smtplib.SMTP("127.0.0.1", second.smtp_port, timeout=10) as smtp:
            smtp.send_message(mail("After the restart"))
        # Then new mail is routed and acknowledged, the old ticket is there, both machines exist
        assert wait_for(lambda: routed(second, token, "After the restart"), timeout=30)
        assert routed(second, token, "Before the restart")
        sfn = second.client("stepfunctions")
        machines = {m["name"] for m in sfn.list_state_machines()["stateMachines"]}
        assert {"RoutingStateMachine", "EscalationStateMachine"} <= machines
        _status, outbox = second.request("GET", "/_local/outbox")
        assert any("After the restart" in m["subject"] for m in outbox)
    finally:
        stop_stack(second)
    assert "Traceback" not in "".join(second.output)


def test_a_crash_loses_no_accepted_mail_and_no_answered_call(tmp_path: Path) -> None:
    # Given a stack that accepted 30 mails over SMTP (250 each) and answered a portal ticket
    stack = start_stack(tmp_path, fresh=True)
    prefix = f"Crash {uuid.uuid4().hex[:6]}"
    customer = customer_session(stack, "dana@customer.test")
    status, created = stack.request(
        "POST", "/api/tickets", {"subject": f"{prefix} portal", "body": "x"}, token=customer
    )
    assert status == 201, created
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        for i in range(30):
            # (one sender each: mail-filters caps the open tickets of one sender)
            refused = smtp.send_message(mail(f"{prefix} mail {i}", f"c{i}@customer.test"))
            assert refused == {}  # 250 for the one recipient
    # When it is killed at once (no clean stop), and started again
    stack.process.send_signal(signal.SIGKILL)
    stack.process.wait()
    again = start_stack(tmp_path)
    try:
        token = again.login()

        # Then every accepted mail is a ticket, exactly once, and the portal's ticket is there
        def complete() -> list[dict[str, Any]] | None:
            found = tickets_with(again, token, prefix)
            return found if len(found) >= 31 else None

        found = wait_for(complete, timeout=60) or tickets_with(again, token, prefix)
        subjects = sorted(t["subject"] for t in found)
        expected = sorted([f"{prefix} portal", *(f"{prefix} mail {i}" for i in range(30))])
        assert subjects == expected

        # And the change feed lost none of them across the crash: all 31 are searchable
        word = prefix.split()[1]

        def indexed() -> int:
            _status, body = again.request("GET", f"/api/tickets?q={word}&limit=50", token=token)
            return int(body["total"]) if body["total"] == 31 else 0

        assert wait_for(indexed, timeout=60) == 31
    finally:
        stop_stack(again)


def send_message(stack: RunningStack, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)


def test_concurrent_changes_with_one_if_match_let_exactly_one_win(stack: RunningStack) -> None:
    # Given a ticket at some version
    agent = stack.login("alice@example.com")
    customer = customer_session(stack, f"race.{uuid.uuid4().hex[:6]}@customer.test")
    status, ticket = stack.request(
        "POST", "/api/tickets", {"subject": "Race", "body": "x"}, token=customer
    )
    assert status == 201

    def settled() -> dict[str, Any] | None:
        # routing changes the ticket too (group, assignee): wait until it is done with it
        _status, found = stack.request("GET", f"/api/tickets/{ticket['id']}", token=agent)
        return found if found["routing_since"] is None else None

    current = wait_for(settled, timeout=30)
    assert current is not None, "routing did not finish with the ticket"
    version = current["version"]

    # When five agents change it at once, each on that version
    def change(priority: str) -> int:
        status, _ = stack.request(
            "PATCH",
            f"/api/tickets/{ticket['id']}",
            {"priority": priority},
            token=agent,
            headers={"If-Match": f'"{version}"'},
        )
        return status

    with ThreadPoolExecutor(5) as pool:
        statuses = list(pool.map(change, ["low", "high", "urgent", "low", "high"]))
    # Then exactly one change won; the others were told the ticket moved on
    assert sorted(statuses) == [200, 412, 412, 412, 412], statuses


@pytest.fixture
def small_stack(tmp_path: Path) -> Iterator[RunningStack]:
    """A stack of its own, with only this test's data. moto reads the whole table on every
    Query, so on the shared stack late in the suite each of the twenty replies (and the mail
    and notifications after it) costs seconds, and the last writer's 20 s budget for lost races
    measures the table's size, not the atomicity under test."""
    running = start_stack(tmp_path, fresh=True)
    yield running
    stop_stack(running)


def test_twenty_concurrent_replies_are_twenty_stored_replies(small_stack: RunningStack) -> None:
    stack = small_stack
    agent = stack.login("alice@example.com")
    customer = customer_session(stack, f"busy.{uuid.uuid4().hex[:6]}@customer.test")
    status, ticket = stack.request(
        "POST", "/api/tickets", {"subject": "Busy", "body": "x"}, token=customer
    )
    assert status == 201

    def reply(i: int) -> tuple[int, Any]:
        token = agent if i % 2 else customer
        path = f"/api/tickets/{ticket['id']}/replies"
        status, body = stack.request("POST", path, {"text": f"reply {i}"}, token=token)
        return status, None if status == 201 else body

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(reply, range(20)))
    assert answers == [(201, None)] * 20
    _status, thread = stack.request("GET", f"/api/tickets/{ticket['id']}", token=agent)
    texts = [m["text"] for m in thread["messages"] if m["text"].startswith("reply ")]
    assert sorted(texts) == sorted(f"reply {i}" for i in range(20))


def test_the_reconciler_routes_a_ticket_whose_routing_never_started(stack: RunningStack) -> None:
    # Given a ticket stored by a "crashed" intake that never started its routing
    from tessera.adapters.dynamodb.tickets import DynamoTicketRepository
    from tests.factories import stored_ticket

    env = stack.environment()
    with pytest.MonkeyPatch.context() as patch:
        for name in (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_REGION",
            "AWS_ENDPOINT_URL",
        ):
            patch.setenv(name, env[name])
        patch.setenv("AWS_DEFAULT_REGION", env["AWS_REGION"])
        ticket = stored_ticket(
            DynamoTicketRepository(env["TABLE_NAME"]),
            subject=f"Never routed {uuid.uuid4().hex[:6]}",
            mailbox="support@example.com",
        )
    # When the reconciler's schedule fires six minutes later
    later = datetime.now(UTC) + timedelta(minutes=6)
    event = events.load("schedule_sweep", time=later.strftime("%Y-%m-%dT%H:%M:%SZ"))
    answer = stack.client("lambda").invoke(
        FunctionName="ReconcilerFunction", Payload=json.dumps(event).encode()
    )
    result = json.loads(answer["Payload"].read())
    # Then it started the routing again, which routed and acknowledged the ticket
    assert ticket.id in result["restarted"], result
    token = stack.login()
    assert wait_for(lambda: routed(stack, token, ticket.subject), timeout=30)


def test_intake_that_failed_after_its_retries_is_redriven_from_its_queue(
    stack: RunningStack,
) -> None:
    # Given a stored mail whose intake failed for good: its SES event is in the dead-letter queue
    env = stack.environment()
    ses_id = uuid.uuid4().hex
    subject = f"Redrive {ses_id[:6]}"
    raw = mail(subject).as_bytes()
    stack.client("s3").put_object(Bucket=env["RAW_MAIL_BUCKET"], Key=f"inbound/{ses_id}", Body=raw)
    sqs = stack.client("sqs")
    queue = env["INTAKE_DEAD_LETTER_QUEUE_URL"]
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(events.ses_inbound(ses_id)))
    # When an operator redrives the queue
    result = stack.cli("mail", "redrive")
    # Then the mail became a ticket and left the queue
    assert result.returncode == 0, result.stderr
    assert f"{ses_id}: created" in result.stdout
    assert tickets_with(stack, stack.login(), subject)
    left = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages", [])
    assert left == []


def test_an_operator_reconciles_routing_at_once(stack: RunningStack) -> None:
    # Given a ticket whose routing never started
    from tessera.adapters.dynamodb.tickets import DynamoTicketRepository
    from tests.factories import stored_ticket

    env = stack.environment()
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
            patch.setenv(name, env[name])
        patch.setenv("AWS_REGION", env["AWS_REGION"])
        patch.setenv("AWS_DEFAULT_REGION", env["AWS_REGION"])
        ticket = stored_ticket(
            DynamoTicketRepository(env["TABLE_NAME"]),
            subject=f"Reconciled {uuid.uuid4().hex[:6]}",
            mailbox="support@example.com",
        )
    # When an operator reconciles without waiting
    result = stack.cli("routing", "reconcile", "--wait", "0")
    # Then its routing started again and routed it
    assert result.returncode == 0, result.stderr
    assert f"{ticket.id}: routing started again" in result.stdout
    assert wait_for(lambda: routed(stack, stack.login(), ticket.subject), timeout=30)


def test_a_second_stack_on_the_same_data_is_refused_and_the_first_keeps_serving(
    tmp_path: Path,
) -> None:
    # Given a stack running on a data directory
    first = start_stack(tmp_path / "data", fresh=True)
    try:
        # When a second stack is started on the same directory
        second = subprocess.run(
            [sys.executable, "-m", "tessera_local"],
            env={
                **os.environ,
                "TESSERA_DATA_DIR": str(tmp_path / "data"),
                "TESSERA_HTTP_PORT": str(free_port()),
                "TESSERA_SMTP_PORT": str(free_port()),
                "TZ": "UTC",
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

        # Then it refuses at once, naming the directory and the stack that holds it
        assert second.returncode == 1, second.stdout[-2000:] + second.stderr[-2000:]
        assert "is in use by another Tessera local stack" in second.stderr
        assert f"process {first.process.pid}" in second.stderr
        assert "ready" not in second.stdout
        # and the first one still answers, its state untouched
        assert first.request("GET", "/api/openapi.json")[0] == 200
    finally:
        stop_stack(first)

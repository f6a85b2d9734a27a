"""The local stack end to end: a mail on the SMTP port becomes a ticket by the path the cloud
runs (raw MIME in the rule's bucket -> intake with the SES event -> DynamoDB -> routing
execution), and the API, the outbox and restarts behave as the README promises."""

from __future__ import annotations

import smtplib
import socket
import subprocess
import sys
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.localstack import RunningStack, start_stack, stop_stack, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def token(stack: RunningStack) -> str:
    return stack.login()


def send_mail(stack: RunningStack, subject: str, *, to: str = "support@example.com") -> str:
    message = EmailMessage()
    message["From"] = "Casey Customer <casey@customer.test>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4()}@customer.test>"
    message.set_content(f"Body of {subject}")
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
    return str(message["Message-ID"])


def find_ticket(stack: RunningStack, token: str, subject: str) -> dict | None:
    status, page = stack.request("GET", "/api/tickets?limit=100", token=token)
    assert status == 200, page
    return next((t for t in page["items"] if t["subject"] == subject), None)


def test_ready_line_names_the_urls_and_the_demo_sign_in(stack: RunningStack) -> None:
    assert stack.url in stack.ready_line
    assert f"smtp 127.0.0.1:{stack.smtp_port}" in stack.ready_line
    assert "admin@example.com" in stack.ready_line


def test_health_answers_json(stack: RunningStack) -> None:
    status, body = stack.request("GET", "/api/health")
    assert (status, body["status"]) == (200, "ok")


def test_binds_loopback_only(stack: RunningStack) -> None:
    # Given the stack bound to 127.0.0.1, another loopback address of the machine is refused.
    probe = socket.socket()
    probe.settimeout(2)
    with probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.2", stack.http_port))


def test_login_refuses_a_wrong_password_and_names_a_missing_field(stack: RunningStack) -> None:
    status, body = stack.request(
        "POST", "/api/auth/login", {"email": "admin@example.com", "password": "wrong"}
    )
    assert status == 401
    assert body["error"]["code"] == "Unauthorized"

    status, body = stack.request("POST", "/api/auth/login", {"email": "admin@example.com"})
    assert (status, body["error"]["field"]) == (400, "password")


def test_tickets_need_a_valid_bearer_token(stack: RunningStack) -> None:
    assert stack.request("GET", "/api/tickets")[0] == 401
    assert stack.request("GET", "/api/tickets", token="not-a-jwt")[0] == 401


def test_unknown_api_path_gets_api_gateways_answer(stack: RunningStack) -> None:
    status, body = stack.request("GET", "/api/no-such-route")
    assert (status, body["message"]) == (403, "Missing Authentication Token")


def test_mail_becomes_a_routed_acknowledged_ticket(stack: RunningStack, token: str) -> None:
    # Given a customer mail to the support address
    subject = f"Printer on fire {uuid.uuid4().hex[:6]}"
    send_mail(stack, subject)

    # When intake has run, the API lists the ticket within 5 seconds
    ticket = wait_for(lambda: find_ticket(stack, token, subject), timeout=5)
    assert ticket is not None, "the mail did not become a ticket within 5 s"
    assert ticket["requester"] == "casey@customer.test"
    assert {"id", "number", "status", "priority", "group", "assignee"} <= set(ticket)

    # Then the routing execution put it in the mailbox's group and acknowledged it by mail
    def routed() -> dict | None:
        status, thread = stack.request("GET", f"/api/tickets/{ticket['id']}", token=token)
        assert status == 200
        return thread if thread["group"] == "support" and len(thread["messages"]) == 2 else None

    thread = wait_for(routed, timeout=15)
    assert thread is not None, "the routing workflow did not route and acknowledge the ticket"
    assert thread["messages"][0]["text"] == f"Body of {subject}"
    actions = [e["action"] for e in thread["events"]]
    assert actions[0] == "ticket.created"
    assert "ticket.updated" in actions  # the group routing chose
    assert "sla.started" in actions  # the SLA clocks the shipped policy starts

    status, outbox = stack.request("GET", "/_local/outbox")
    acknowledgements = [m for m in outbox if m["subject"].startswith(f"[#{ticket['number']}]")]
    assert status == 200
    assert len(acknowledgements) == 1
    assert acknowledgements[0]["to"] == ["casey@customer.test"]


def test_ticket_can_be_read_by_its_number(stack: RunningStack, token: str) -> None:
    subject = f"By number {uuid.uuid4().hex[:6]}"
    send_mail(stack, subject)
    ticket = wait_for(lambda: find_ticket(stack, token, subject), timeout=5)
    assert ticket is not None
    status, thread = stack.request("GET", f"/api/tickets/{ticket['number']}", token=token)
    assert (status, thread["id"]) == (200, ticket["id"])


def test_the_same_mail_delivered_twice_makes_one_ticket(stack: RunningStack, token: str) -> None:
    subject = f"Twice {uuid.uuid4().hex[:6]}"
    message = EmailMessage()
    message["From"] = "twice@customer.test"
    message["To"] = "support@example.com"
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4()}@customer.test>"
    message.set_content("once")
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
        smtp.send_message(message)
    assert wait_for(lambda: find_ticket(stack, token, subject), timeout=5)
    _status, page = stack.request("GET", "/api/tickets?limit=100", token=token)
    assert [t["subject"] for t in page["items"]].count(subject) == 1


def test_unknown_ticket_is_404(stack: RunningStack, token: str) -> None:
    status, body = stack.request("GET", "/api/tickets/01ARZ3NDEKTSV4RRFFQ69G5FAV", token=token)
    assert (status, body["error"]["code"]) == (404, "NotFound")


def test_pagination_walks_every_ticket_once(stack: RunningStack, token: str) -> None:
    subjects = {f"Page {i} {uuid.uuid4().hex[:6]}" for i in range(3)}
    for subject in subjects:
        send_mail(stack, subject)
    assert wait_for(lambda: all(find_ticket(stack, token, s) for s in subjects), timeout=10)

    seen: list[str] = []
    cursor = None
    while True:
        path = "/api/tickets?limit=2" + (f"&cursor={cursor}" if cursor else "")
        status, page = stack.request("GET", path, token=token)
        assert status == 200, page
        seen += [t["id"] for t in page["items"]]
        cursor = page["cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen))
    assert subjects <= {
        t["subject"]
        for t in stack.request("GET", "/api/tickets?limit=100", token=token)[1]["items"]
    }


def test_data_survives_a_restart_and_fresh_starts_empty(tmp_path: Path) -> None:
    # Given a ticket made on a stack that is then stopped
    first = start_stack(tmp_path, fresh=True)
    try:
        token = first.login()
        send_mail(first, "Still here after restart")
        assert wait_for(lambda: find_ticket(first, token, "Still here after restart"), timeout=5)
    finally:
        stop_stack(first)

    # When it starts again on the same data directory, the ticket is still there
    second = start_stack(tmp_path)
    try:
        token = second.login()
        assert find_ticket(second, token, "Still here after restart") is not None
    finally:
        stop_stack(second)

    # And with TESSERA_FRESH=1 it starts from empty
    third = start_stack(tmp_path, fresh=True)
    try:
        status, page = third.request("GET", "/api/tickets", token=third.login())
        assert (status, page["items"]) == (200, [])
    finally:
        stop_stack(third)


def test_every_call_a_function_made_is_allowed_by_its_template_policy(
    stack: RunningStack, token: str
) -> None:
    # Given traffic through every function: mail in (intake), routing (rules), the API
    subject = f"IAM {uuid.uuid4().hex[:6]}"
    send_mail(stack, subject)
    ticket = wait_for(lambda: find_ticket(stack, token, subject), timeout=5)
    assert ticket is not None
    assert stack.request("GET", f"/api/tickets/{ticket['number']}", token=token)[0] == 200

    # When we ask the stack which AWS calls each function made
    def acknowledged() -> dict | None:
        _status, report = stack.request("GET", "/_local/iam")
        actions = {(c["function"], c["action"]) for c in report["calls"]}
        return report if ("RoutingFunction", "ses:SendRawEmail") in actions else None

    report = wait_for(acknowledged, timeout=15)
    assert report is not None, "the rules function never sent the acknowledgement"

    # Then the calls cover every function that ran, and the template's policies allow each one
    assert {"IntakeFunction", "RoutingFunction", "ApiFunction"} <= {
        c["function"] for c in report["calls"]
    }
    assert report["denied"] == []


def test_cli_reads_the_config_the_stack_applied(stack: RunningStack) -> None:
    result = subprocess.run(  # noqa: S603 - our own CLI
        [
            sys.executable,
            "-m",
            "tessera.cli",
            "--local",
            "--data-dir",
            str(stack.data_dir),
            "config",
            "show",
            "mailboxes",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "# mailboxes version 1, applied by local-stack" in result.stdout
    assert "billing@example.com" in result.stdout

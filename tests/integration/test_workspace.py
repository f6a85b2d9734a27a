"""The agent workspace on the shared local stack: tickets on a customer's behalf, macros,
presence, agents' own settings, notifications (listed and mailed), and agents answering by mail
through the stack's real SMTP server."""

from __future__ import annotations

import smtplib
import uuid
from typing import Any

import jsonschema
import pytest

from tests.localstack import RunningStack, customer_session, wait_for

pytestmark = pytest.mark.integration

MACROS = """\
canned:
  - id: refund-processed
    title: Refund processed
    text: "Your refund for #{{ticket.number}} is on its way."
    set: {status: solved, tags: [refund]}
  - id: hello
    title: Hello
    text: "Hello {{requester.name}}"
"""


@pytest.fixture(scope="module")
def tokens(stack: RunningStack) -> dict[str, str]:
    return {
        "alice": stack.login("alice@example.com"),
        "bahram": stack.login("bahram@example.com"),
        "admin": stack.login(),
    }


@pytest.fixture(scope="module")
def openapi(stack: RunningStack) -> dict[str, Any]:
    _status, document = stack.request("GET", "/api/openapi.json")
    return document


def answer_schema(openapi: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    answer = openapi["paths"][path][method.lower()]["responses"]["200"]
    return answer["content"]["application/json"]["schema"]


def unique(local: str) -> str:
    return f"{local}.{uuid.uuid4().hex[:8]}@customer.test"


def outbox(stack: RunningStack) -> list[dict[str, Any]]:
    _status, mails = stack.request("GET", "/_local/outbox")
    return mails


def thread(stack: RunningStack, ticket_id: str, token: str) -> dict[str, Any]:
    status, body = stack.request("GET", f"/api/tickets/{ticket_id}", token=token)
    assert status == 200, body
    return body


def routed(stack: RunningStack, ticket_id: str, token: str) -> dict[str, Any]:
    """The thread once the routing workflow has finished (acknowledged or skipped)."""

    def done() -> dict[str, Any] | None:
        body = thread(stack, ticket_id, token)
        skipped = any(e["action"] == "acknowledgement.skipped" for e in body["events"])
        sent = any(m["kind"] == "system" for m in body["messages"])
        return body if skipped or sent else None

    body = wait_for(done, timeout=30)
    assert body is not None, "routing did not finish"
    return body


# ------------------------------------------------------------- tickets on a customer's behalf
def test_a_phone_ticket_is_the_callers_and_is_mailed_only_with_notify(
    stack: RunningStack, tokens: dict[str, str]
) -> None:
    quiet, told = unique("caller"), unique("caller")
    ids = {}
    for requester, notify in ((quiet, False), (told, True)):
        status, ticket = stack.request(
            "POST",
            "/api/tickets",
            {
                "subject": "Phone: invoice missing",
                "body": "Called: the November invoice never arrived.",
                "requester": requester,
                "channel": "phone",
                "notify": notify,
            },
            token=tokens["alice"],
        )
        assert status == 201, ticket
        assert ticket["channel"] == "phone"
        ids[requester] = ticket["id"]

    body = routed(stack, ids[quiet], tokens["alice"])
    first = body["messages"][0]
    assert (first["author"], first["from"], first["kind"]) == (quiet, "requester", "public")
    created = next(e for e in body["events"] if e["action"] == "ticket.created")
    assert created["actor"] == "agent:alice@example.com"
    skipped = next(e for e in body["events"] if e["action"] == "acknowledgement.skipped")
    assert "without notifying" in skipped["reason"]
    routed(stack, ids[told], tokens["alice"])
    sent_to = [a for m in outbox(stack) for a in m["to"]]
    assert told in sent_to
    assert quiet not in sent_to


def test_a_customer_cannot_set_the_channel(stack: RunningStack) -> None:
    session = customer_session(stack, unique("walkin"))
    status, body = stack.request(
        "POST", "/api/tickets", {"subject": "s", "body": "b", "channel": "phone"}, token=session
    )
    assert (status, body["error"]["field"]) == (400, "channel")


# --------------------------------------------------------------------------------- macros
def test_canned_responses_carry_their_macro_changes(
    stack: RunningStack, tokens: dict[str, str], openapi: dict[str, Any]
) -> None:
    status, _ = stack.request(
        "PUT", "/api/admin/config/canned", {"text": MACROS}, token=tokens["admin"]
    )
    assert status == 200
    status, listed = stack.request("GET", "/api/canned-responses", token=tokens["alice"])
    assert status == 200
    jsonschema.validate(listed, answer_schema(openapi, "GET", "/api/canned-responses"))
    by_id = {r["id"]: r for r in listed["items"]}
    assert by_id["refund-processed"]["set"] == {"status": "solved", "tags": ["refund"]}
    assert "set" not in by_id["hello"]

    status, bad = stack.request(
        "POST",
        "/api/admin/config/canned/validate",
        {"text": MACROS.replace("status: solved", "stauts: solved")},
        token=tokens["admin"],
    )
    assert status == 400
    assert bad["error"]["message"].startswith("line 5: unknown key")
    assert bad["error"]["field"] == "canned[0].set.stauts"


# ------------------------------------------------------------------------------- presence
def test_two_agents_on_one_ticket_see_each_other(
    stack: RunningStack, tokens: dict[str, str], openapi: dict[str, Any]
) -> None:
    session = customer_session(stack, unique("viewer"))
    _status, ticket = stack.request(
        "POST", "/api/tickets", {"subject": "Two agents", "body": "b"}, token=session
    )
    routed(stack, ticket["id"], tokens["alice"])  # its version moves no more
    path = f"/api/tickets/{ticket['id']}/presence"

    status, alone = stack.request("PUT", path, {"activity": "viewing"}, token=tokens["alice"])
    assert status == 200, alone
    assert alone["others"] == []
    status, seen = stack.request("PUT", path, {"activity": "replying"}, token=tokens["bahram"])
    assert status == 200
    jsonschema.validate(seen, answer_schema(openapi, "PUT", "/api/tickets/{ticket_id}/presence"))
    assert [(o["agent"], o["activity"]) for o in seen["others"]] == [
        ("alice@example.com", "viewing")
    ]
    assert seen["others"][0]["name"] == "Alice"
    current = thread(stack, ticket["id"], tokens["alice"])  # presence never shows in a thread
    assert seen["version"] == current["version"]

    _status, left = stack.request("DELETE", path, token=tokens["bahram"])
    assert [o["agent"] for o in left["others"]] == ["alice@example.com"]
    _status, after = stack.request("PUT", path, {"activity": "viewing"}, token=tokens["alice"])
    assert after["others"] == []

    status, bad = stack.request("PUT", path, {"activity": "typing"}, token=tokens["alice"])
    assert (status, bad["error"]["field"]) == (400, "activity")
    missing = "/api/tickets/01ARZ3NDEKTSV4RRFFQ69G5FAV/presence"
    status, _ = stack.request("PUT", missing, {"activity": "viewing"}, token=tokens["alice"])
    assert status == 404


# ---------------------------------------------------------- own settings and notifications
def test_an_agent_sets_their_status_and_notification_mail(
    stack: RunningStack, tokens: dict[str, str], openapi: dict[str, Any]
) -> None:
    status, me = stack.request("GET", "/api/me", token=tokens["bahram"])
    assert status == 200
    jsonschema.validate(me, answer_schema(openapi, "GET", "/api/me"))
    assert (me["email"], me["role"]) == ("bahram@example.com", "agent")
    assert "support" in me["groups"]

    status, changed = stack.request(
        "PATCH",
        "/api/me",
        {"status": "offline", "notify": {"assigned": False}},
        token=tokens["bahram"],
    )
    assert status == 200
    assert changed["status"] == "offline"
    assert changed["notify"]["assigned"] is False
    _status, again = stack.request("GET", "/api/me", token=tokens["bahram"])
    assert again == changed

    status, bad = stack.request("PATCH", "/api/me", {"status": "busy"}, token=tokens["bahram"])
    assert (status, bad["error"]["field"]) == (400, "status")
    status, bad = stack.request("PATCH", "/api/me", {"notify": {"x": True}}, token=tokens["bahram"])
    assert status == 400
    assert bad["error"]["field"].startswith("notify")
    # back to the stack's defaults for the other tests
    stack.request(
        "PATCH",
        "/api/me",
        {"status": "available", "notify": {"assigned": True}},
        token=tokens["bahram"],
    )


def test_an_assignment_is_listed_and_mailed_and_read(
    stack: RunningStack, tokens: dict[str, str], openapi: dict[str, Any]
) -> None:
    session = customer_session(stack, unique("assign"))
    _status, ticket = stack.request(
        "POST", "/api/tickets", {"subject": "Assign me", "body": "please"}, token=session
    )
    status, _ = stack.request(
        "PATCH",
        f"/api/tickets/{ticket['id']}",
        {"assignee": "alice@example.com"},
        token=tokens["admin"],
    )
    assert status == 200

    status, page = stack.request("GET", "/api/me/notifications?limit=50", token=tokens["alice"])
    assert status == 200
    jsonschema.validate(page, answer_schema(openapi, "GET", "/api/me/notifications"))
    mine = [n for n in page["items"] if n["ticket_id"] == ticket["id"]]
    assert [(n["kind"], n["number"], n["read"]) for n in mine] == [
        ("assigned", ticket["number"], False)
    ]
    assert page["unread"] >= 1
    mail = next(
        m
        for m in outbox(stack)
        if m["to"] == ["alice@example.com"] and f"[#{ticket['number']}]" in m["subject"]
    )
    assert f"/console/#/tickets/{ticket['id']}" in mail["text"]
    assert mail["headers"]["Reply-To"] == "support@example.com"

    status, read = stack.request(
        "POST", "/api/me/notifications/read", {"ids": [mine[0]["id"]]}, token=tokens["alice"]
    )
    assert status == 200
    assert read["unread"] == page["unread"] - 1
    status, bad = stack.request(
        "POST", "/api/me/notifications/read", {"ids": ["nope"]}, token=tokens["alice"]
    )
    assert (status, bad["error"]["field"].split("[")[0]) == (400, "ids")


# ------------------------------------------------------------------ agents answering by mail
def send(stack: RunningStack, sender: str, raw: str) -> None:
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.sendmail(sender, ["support@example.com"], raw.replace("\n", "\r\n").encode())


def agent_mail(notice: dict[str, Any], body: str, *, extra: str = "") -> tuple[str, str]:
    message_id = f"<{uuid.uuid4().hex}@example.com>"
    raw = (
        "From: Alice <alice@example.com>\n"
        "To: support@example.com\n"
        f"Subject: Re: {notice['subject']}\n"
        f"Message-ID: {message_id}\n"
        f"In-Reply-To: {notice['headers']['Message-ID']}\n"
        f"References: {notice['headers']['Message-ID']}\n"
        f"{extra}\n{body}\n"
    )
    return raw, message_id


def test_an_agent_answers_the_notification_by_mail(
    stack: RunningStack, tokens: dict[str, str]
) -> None:
    # Given a customer's ticket assigned to Alice, and her notification mail
    customer = unique("mailreply")
    session = customer_session(stack, customer)
    _status, ticket = stack.request(
        "POST", "/api/tickets", {"subject": "Printer jam", "body": "It is jammed."}, token=session
    )
    stack.request(
        "PATCH",
        f"/api/tickets/{ticket['id']}",
        {"assignee": "alice@example.com"},
        token=tokens["admin"],
    )
    notice = wait_for(
        lambda: next(
            (
                m
                for m in outbox(stack)
                if m["to"] == ["alice@example.com"] and f"[#{ticket['number']}]" in m["subject"]
            ),
            None,
        ),
        timeout=10,
    )
    assert notice is not None

    # When she answers it from her mailbox, quoting it
    raw, _ = agent_mail(
        notice,
        "Open the back cover and pull the paper out gently.\n\n"
        "On Tue, 1 Dec 2026 at 10:00, Support <support@example.com> wrote:\n"
        "> Ticket is assigned to you\n",
    )
    send(stack, "alice@example.com", raw)

    # Then the customer has her reply, without the quote, and the thread shows it as hers
    def replied() -> dict[str, Any] | None:
        body = thread(stack, ticket["id"], tokens["alice"])
        return next((m for m in body["messages"] if m["author"] == "alice@example.com"), None)

    reply = wait_for(replied, timeout=20)
    assert reply is not None, "the agent's mail did not become a reply"
    assert (reply["kind"], reply["from"]) == ("public", "agent")
    assert reply["text"] == "Open the back cover and pull the paper out gently."
    to_customer = [m for m in outbox(stack) if m["to"][:1] == [customer]]
    assert any(
        "pull the paper out" in m["text"] and "assigned to you" not in m["text"]
        for m in to_customer
    )

    # When she adds a note by mail
    raw, _ = agent_mail(notice, "#note\nShe has the old model; order the part.")
    send(stack, "alice@example.com", raw)

    def noted() -> dict[str, Any] | None:
        body = thread(stack, ticket["id"], tokens["alice"])
        return next((m for m in body["messages"] if "old model" in m["text"]), None)

    note = wait_for(noted, timeout=20)
    assert note is not None
    assert (note["kind"], note["from"], note["text"]) == (
        "internal",
        "agent",
        "She has the old model; order the part.",
    )
    customer_view = thread(stack, ticket["id"], session)
    assert all("old model" not in m["text"] for m in customer_view["messages"])

    # When a mail in her name fails DMARC
    raw, _ = agent_mail(
        notice,
        "Refund of 500 EUR approved, send your card number.",
        extra="Authentication-Results: mx.example.com; spf=fail; dkim=fail; dmarc=fail\n",
    )
    send(stack, "alice@example.com", raw)

    def held() -> dict[str, Any] | None:
        body = thread(stack, ticket["id"], tokens["alice"])
        return next((m for m in body["messages"] if "card number" in m["text"]), None)

    forged = wait_for(held, timeout=20)
    assert forged is not None
    assert (forged["kind"], forged["from"]) == ("internal", "outsider")
    assert all(
        "card number" not in m["text"] for m in thread(stack, ticket["id"], session)["messages"]
    )
    assert all("card number" not in m["text"] for m in outbox(stack) if m["to"][:1] == [customer])


def test_every_call_of_the_workspace_traffic_is_allowed_by_the_policies(
    stack: RunningStack,
) -> None:
    # Given this module's traffic (agents' mail through intake, notifications from the API and
    # the routing workflow, presence, settings)
    status, report = stack.request("GET", "/_local/iam")
    assert status == 200
    intake = {
        (c["action"], c["resource"]) for c in report["calls"] if c["function"] == "IntakeFunction"
    }

    # Then intake read threads (its new Query on the table) and nothing anywhere was denied
    assert any(a == "dynamodb:Query" and "/index/" not in r for a, r in intake)
    assert report["denied"] == []

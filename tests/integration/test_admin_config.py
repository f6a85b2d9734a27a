"""The admin center's configuration documents and dry runs on the local stack: a refused draft
names its line and key, applies are versions with who and when, a revert is a new version, a
stale If-Match is 412, and a draft rule set is tried against one ticket and the recent ones."""

from __future__ import annotations

import uuid

import pytest

from tests.localstack import RunningStack, customer_session

pytestmark = pytest.mark.integration

GOOD = "canned:\n  - id: hello\n    title: Hello\n    text: Hi there\n"
OTHER = "canned:\n  - id: bye\n    title: Bye\n    text: Goodbye\n"


def test_a_refused_draft_names_its_line_and_key(stack: RunningStack) -> None:
    # Given a rules draft whose third line has a misspelt key
    draft = "rules:\n  - name: x\n    whn: {subject: {words: [a]}}\n    then: [{tags: [a]}]\n"
    # When an admin checks it
    status, body = stack.request(
        "POST", "/api/admin/config/rules/validate", {"text": draft}, token=stack.login()
    )
    # Then it is refused at line 3, naming the key
    assert status == 400, body
    assert body["error"]["line"] == 3
    assert body["error"]["field"] == "rules[0].whn"


def test_history_revert_and_a_stale_apply(stack: RunningStack) -> None:
    admin = stack.login()
    path = "/api/admin/config/canned"
    # Given two applied versions of the canned responses
    _s, now = stack.request("GET", path, token=admin)
    base = now["version"]
    first = stack.request(
        "PUT", path, {"text": GOOD}, token=admin, headers={"If-Match": f'"{base}"'}
    )
    second = stack.request(
        "PUT", path, {"text": OTHER}, token=admin, headers={"If-Match": f'"{base + 1}"'}
    )
    assert (first[0], second[0]) == (200, 200), (first, second)
    # When an admin applies on top of the older version
    stale = stack.request(
        "PUT", path, {"text": GOOD}, token=admin, headers={"If-Match": f'"{base + 1}"'}
    )
    # Then it is refused with 412, and nothing changed
    assert stale[0] == 412, stale
    # And the history lists both, newest first, with who applied them
    status, history = stack.request("GET", f"{path}/history?limit=5", token=admin)
    assert status == 200
    assert [v["version"] for v in history["items"][:2]] == [base + 2, base + 1]
    assert history["items"][0]["applied_by"] == history["items"][1]["applied_by"] != ""
    assert history["items"][1]["text"] == GOOD
    # When the admin reverts to the first of them
    status, reverted = stack.request(
        "POST",
        f"{path}/revert",
        {"version": base + 1},
        token=admin,
        headers={"If-Match": f'"{base + 2}"'},
    )
    # Then its text is applied as a new version
    assert status == 200, reverted
    assert (reverted["version"], reverted["text"]) == (base + 3, GOOD)
    # And a revert to a version that never was is 404
    missing = stack.request("POST", f"{path}/revert", {"version": 9999}, token=admin)
    assert missing[0] == 404


def test_only_admins_revert(stack: RunningStack) -> None:
    tokens = {
        "anonymous": None,
        "customer": customer_session(stack, "revert-reader@customer.test"),
        "agent": stack.login("alice@example.com"),
    }
    got = {
        role: stack.request("POST", "/api/admin/config/canned/revert", {"version": 1}, token=t)[0]
        for role, t in tokens.items()
    }
    assert got == {"anonymous": 401, "customer": 403, "agent": 403}


def test_a_draft_rule_set_is_tried_on_one_ticket_and_simulated(stack: RunningStack) -> None:
    admin = stack.login()
    word = f"zebra{uuid.uuid4().hex[:6]}"
    # Given a ticket about a word no applied rule knows
    status, ticket = stack.request(
        "POST",
        "/api/tickets",
        {"subject": f"Question about {word}", "body": "Please help."},
        token=customer_session(stack, "sim@customer.test"),
    )
    assert status == 201, ticket
    draft = (
        "rules:\n  - name: zebras-to-billing\n"
        f"    when: {{subject: {{words: [{word}]}}}}\n    then: [{{group: billing}}]\n"
    )
    # When an admin tries the draft on that ticket
    status, trial = stack.request(
        "POST",
        "/api/admin/rules/test",
        {"text": draft, "ticket": str(ticket["number"])},
        token=admin,
    )
    # Then the draft's rule fires, and says why
    assert status == 200, trial
    assert trial["outcome"]["fired"] == ["zebras-to-billing"]
    assert trial["outcome"]["group"] == "billing"
    assert "zebras-to-billing" in trial["lines"][0]
    # When the admin simulates the draft over the last day
    status, found = stack.request(
        "POST", "/api/admin/rules/simulate", {"text": draft, "days": 1}, token=admin
    )
    # Then the ticket is listed as one that would move to billing
    assert status == 200, found
    moved = [d for d in found["differences"] if d["id"] == ticket["id"]]
    assert [m["after"].get("group") for m in moved] == ["billing"], found
    assert found["replayed"] >= 1
    assert found["cap"] == 500
    # And a refused draft names its line, and more days than allowed name the field
    bad = stack.request(
        "POST", "/api/admin/rules/simulate", {"text": "rules: 3\n", "days": 1}, token=admin
    )
    assert (bad[0], bad[1]["error"].get("line")) == (400, 1), bad
    too_far = stack.request(
        "POST", "/api/admin/rules/simulate", {"text": draft, "days": 400}, token=admin
    )
    assert (too_far[0], too_far[1]["error"]["field"]) == (400, "days"), too_far

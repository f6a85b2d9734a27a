"""The admin center's people and audit routes on the local stack: an invited agent signs in,
is made an admin and back, is disabled (cannot sign in, is told so, shows offline, leaves the
pickers) and enabled again; an invitation without a password arrives by mail as Cognito sends
it, and is resent; every change is on the audit log, found by actor and time, and exported as
CSV."""

from __future__ import annotations

import re
import signal
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.localstack import RunningStack, start_stack, stop_stack, wait_for

pytestmark = pytest.mark.integration

TEMPORARY = "Temporary-pass-123"
OWN = "Own-password-12345"


def invite(stack: RunningStack, admin: str) -> str:
    email = f"new.{uuid.uuid4().hex[:8]}@example.com"
    status, body = stack.request(
        "POST",
        "/api/admin/agents",
        {"email": email, "group": "agents", "temporary_password": TEMPORARY},
        token=admin,
    )
    assert status == 201, body
    status, body = stack.request(
        "POST",
        "/api/auth/new-password",
        {"email": email, "password": TEMPORARY, "new_password": OWN},
    )
    assert status == 200, body
    return email


def person(stack: RunningStack, admin: str, email: str) -> dict:
    _status, listing = stack.request("GET", "/api/admin/agents", token=admin)
    return next(p for p in listing["items"] if p["email"] == email)


def test_an_admin_changes_the_role_and_disables_then_enables_an_account(
    stack: RunningStack,
) -> None:
    # Given an invited agent who chose their password
    admin = stack.login()
    email = invite(stack, admin)
    path = f"/api/admin/agents/{email}"
    # When the admin makes them an admin, then an agent again
    status, changed = stack.request("PATCH", path, {"group": "admins"}, token=admin)
    assert (status, changed["groups"]) == (200, ["admins"])
    assert stack.request("PATCH", path, {"group": "agents"}, token=admin)[1]["groups"] == ["agents"]
    # And disables the account
    status, disabled = stack.request("PATCH", path, {"enabled": False}, token=admin)
    # Then it can no longer sign in and is offline (not assigned)
    assert (status, disabled["enabled"]) == (200, False)
    login = stack.request("POST", "/api/auth/login", {"email": email, "password": OWN})
    assert login[0] == 401
    assert person(stack, admin, email)["availability"] == "offline"
    # When it is enabled again, it signs in and is available
    assert stack.request("PATCH", path, {"enabled": True}, token=admin)[1]["enabled"] is True
    assert stack.login(email, OWN)
    assert person(stack, admin, email)["availability"] == "available"
    # And every change is on the audit log, newest first
    _status, log = stack.request("GET", "/api/admin/audit?actor=admin@example.com", token=admin)
    mine = [(e["action"], e["before"], e["after"]) for e in log["items"] if email in e["target"]]
    assert mine == [
        ("account.enabled", "disabled", "enabled"),
        ("account.disabled", "enabled", "disabled"),
        ("account.role_changed", "admins", "agents"),
        ("account.role_changed", "agents", "admins"),
        ("account.invited", "", "agents"),
    ]


def test_the_people_list_shows_profile_and_load(stack: RunningStack) -> None:
    # Given the demo desk's groups document (alice: support and billing, capacity 15)
    admin = stack.login()
    # When the admin lists the staff
    alice = person(stack, admin, "alice@example.com")
    # Then each account shows its role, routing profile and open tickets
    assert alice["role"] == "agent"
    assert alice["routing_groups"] == ["billing", "support"]
    assert alice["capacity"] == 15
    assert isinstance(alice["open_tickets"], int)
    assert person(stack, admin, "admin@example.com")["role"] == "admin"


def test_an_admin_cannot_lock_themself_out(stack: RunningStack) -> None:
    admin = stack.login()
    path = "/api/admin/agents/admin@example.com"
    status, body = stack.request("PATCH", path, {"enabled": False}, token=admin)
    assert (status, body["error"]["field"]) == (400, "enabled")
    status, body = stack.request("PATCH", path, {"group": "agents"}, token=admin)
    assert (status, body["error"]["field"]) == (400, "group")
    missing = stack.request(
        "PATCH", "/api/admin/agents/nobody@example.com", {"enabled": False}, token=admin
    )
    assert missing[0] == 404
    assert stack.request("PATCH", path, {}, token=admin)[0] == 400


def test_the_audit_log_is_searched_by_time_and_exported(stack: RunningStack) -> None:
    # Given a config document applied by the admin
    admin = stack.login()
    _status, current = stack.request("GET", "/api/admin/config/canned", token=admin)
    text = "canned:\n  - id: audit-me\n    title: '=HYPERLINK(1)'\n    text: Hello\n"
    status, applied = stack.request(
        "PUT",
        "/api/admin/config/canned",
        {"text": text},
        token=admin,
        headers={"If-Match": f'"{current["version"]}"'},
    )
    assert status == 200, applied
    # When the log is searched from a minute ago
    since = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _status, log = stack.request("GET", f"/api/admin/audit?from={since}", token=admin)
    # Then the apply is there, from the version it replaced to the new one
    entry = next(e for e in log["items"] if e["target"] == "config:canned")
    assert entry["action"] == "config.applied"
    assert entry["after"] == f"v{applied['version']}"
    # And a range in the future has nothing; a bad time is refused naming the field
    later = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert stack.request("GET", f"/api/admin/audit?from={later}", token=admin)[0] == 400
    bad = stack.request("GET", "/api/admin/audit?to=yesterday", token=admin)
    assert (bad[0], bad[1]["error"]["field"]) == (400, "to")
    # And the CSV download has a header row and the entry
    request = urllib.request.Request(  # noqa: S310 - loopback only
        f"{stack.url}/api/admin/audit.csv?from={since}",
        headers={"Authorization": f"Bearer {admin}"},
    )
    with urllib.request.urlopen(request) as answer:  # noqa: S310 - loopback only
        assert answer.headers["Content-Type"].startswith("text/csv")
        rows = answer.read().decode().splitlines()
    assert rows[0] == "at,actor,action,target,before,after"
    assert any("config:canned" in row and "admin@example.com" in row for row in rows[1:])


def invitation_to(stack: RunningStack, email: str, seen: int = 0) -> dict[str, Any] | None:
    """The newest invitation mailed to ``email`` after the first ``seen`` of them."""
    _status, outbox = stack.request("GET", "/_local/outbox")
    found = [m for m in outbox if email in m["to"] and "temporary password" in m["text"]]
    return found[-1] if len(found) > seen else None


def temporary_password(mail: dict[str, Any]) -> str:
    found = re.search(r"temporary password (\S+?)[,.]? then", mail["text"])
    assert found, mail["text"]
    return found.group(1)


def test_an_invitation_without_a_password_is_mailed_as_cognito_would_and_resent(
    stack: RunningStack,
) -> None:
    # Given an admin who invites someone without choosing a temporary password
    admin = stack.login()
    email = f"mailed.{uuid.uuid4().hex[:8]}@example.com"
    status, created = stack.request(
        "POST", "/api/admin/agents", {"email": email, "group": "agents"}, token=admin
    )
    assert status == 201, created
    # Then the pool's invitation is in the outbox, from the template's sender and subject
    first = wait_for(lambda: invitation_to(stack, email), timeout=10)
    assert first, "no invitation mailed"
    assert first["from"] == "no-reply@verificationemail.com"
    assert first["subject"] == "Your Tessera staff account"
    assert f"{stack.url}/console/" in first["text"]
    old = temporary_password(first)
    # And its password is the temporary one: signing in asks for their own
    status, error = stack.request("POST", "/api/auth/login", {"email": email, "password": old})
    assert (status, error["error"]["code"]) == (401, "PasswordChangeRequired")
    # When the admin resends it
    path = f"/api/admin/agents/{email}/invitation"
    status, resent = stack.request("POST", path, token=admin)
    assert (status, resent["groups"], resent["status"]) == (
        200,
        ["agents"],
        "FORCE_CHANGE_PASSWORD",
    )
    # Then a second mail carries a new password; the first no longer works
    second = invitation_to(stack, email, seen=1)
    assert second, "no second invitation"
    new = temporary_password(second)
    assert new != old
    login = stack.request("POST", "/api/auth/login", {"email": email, "password": old})
    assert login[1]["error"]["code"] == "Unauthorized"
    status, _ = stack.request(
        "POST", "/api/auth/new-password", {"email": email, "password": new, "new_password": OWN}
    )
    assert status == 200
    # And once they chose their own, there is nothing to resend; an unknown address is 404
    again = stack.request("POST", path, token=admin)
    assert (again[0], again[1]["error"]["code"]) == (409, "Conflict")
    missing = "/api/admin/agents/nobody.here@example.com/invitation"
    assert stack.request("POST", missing, token=admin)[0] == 404
    # And the resend is audited, and every pool call is one ApiFunction's policy allows
    _status, log = stack.request("GET", "/api/admin/audit?actor=admin@example.com", token=admin)
    assert [e["action"] for e in log["items"] if email in e["target"]] == [
        "account.invitation_resent",
        "account.invited",
    ]
    _status, report = stack.request("GET", "/_local/iam")
    assert report["denied"] == []


def test_a_disabled_account_is_told_so_and_leaves_the_pickers(stack: RunningStack) -> None:
    # Given an agent in the groups document (the demo's bahram) and an invited one
    admin = stack.login()
    email = invite(stack, admin)
    path = f"/api/admin/agents/{email}"
    # When the admin disables the invited one
    assert stack.request("PATCH", path, {"enabled": False}, token=admin)[0] == 200
    # Then their sign-in says the account is disabled (whatever the password: Cognito cannot
    # check a disabled account's)
    for password in (OWN, "a-wrong-password-1"):
        status, error = stack.request(
            "POST", "/api/auth/login", {"email": email, "password": password}
        )
        assert (status, error["error"]["code"]) == (401, "AccountDisabled")
    # And an unknown address or a wrong password for an enabled account tell nothing more
    for who, password in (("nobody.at.all@example.com", OWN), ("alice@example.com", "wrong-1")):
        status, error = stack.request(
            "POST", "/api/auth/login", {"email": who, "password": password}
        )
        assert (status, error["error"]["code"]) == (401, "Unauthorized")
        assert error["error"]["message"] == "wrong email or password"
    try:
        # When an admin disables bahram, an agent of the groups document
        bahram = "/api/admin/agents/bahram@example.com"
        assert stack.request("PATCH", bahram, {"enabled": False}, token=admin)[0] == 200
        # Then the console's pickers no longer offer him, in the agents or his groups
        _status, workspace = stack.request("GET", "/api/workspace", token=admin)
        assert "bahram@example.com" not in [a["email"] for a in workspace["agents"]]
        assert all("bahram@example.com" not in g["members"] for g in workspace["groups"])
        assert "alice@example.com" in [a["email"] for a in workspace["agents"]]
    finally:
        stack.request("PATCH", bahram, {"enabled": True}, token=admin)
    _status, workspace = stack.request("GET", "/api/workspace", token=admin)
    assert "bahram@example.com" in [a["email"] for a in workspace["agents"]]


def test_a_mailed_invitation_still_signs_in_after_a_crash(tmp_path: Path) -> None:
    # Given a stack that mailed an invitation with a password the pool made up
    stack = start_stack(tmp_path, fresh=True)
    email = f"crash.{uuid.uuid4().hex[:8]}@example.com"
    admin = stack.login()
    status, _ = stack.request(
        "POST", "/api/admin/agents", {"email": email, "group": "agents"}, token=admin
    )
    assert status == 201
    mailed = wait_for(lambda: invitation_to(stack, email), timeout=10)
    assert mailed
    # When it is killed at once and started again (the journal replayed)
    stack.process.send_signal(signal.SIGKILL)
    stack.process.wait()
    again = start_stack(tmp_path)
    try:
        # Then the password the mail told is still the account's (the replay made the same)
        password = temporary_password(mailed)
        status, error = again.request(
            "POST", "/api/auth/login", {"email": email, "password": password}
        )
        assert (status, error["error"]["code"]) == (401, "PasswordChangeRequired")
        # And the outbox holds that one invitation, as before the crash
        _status, outbox = again.request("GET", "/_local/outbox")
        assert [temporary_password(m) for m in outbox if email in m["to"]] == [password]
    finally:
        stop_stack(again)

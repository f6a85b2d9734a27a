"""The admin center's people and audit routes on the local stack: an invited agent signs in,
is made an admin and back, is disabled (cannot sign in, shows offline) and enabled again; every
change is on the audit log, found by actor and time, and exported as CSV."""

from __future__ import annotations

import urllib.request
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.localstack import RunningStack

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

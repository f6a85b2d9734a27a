"""Reports on the shared local stack: a ticket's changes reach the numbers through the change feed
(within 60 s), an agent sees their own numbers and a lead the team's, CSV answers with a header,
the tickets behind a number download, and ``tessera reports rebuild`` finds nothing to change."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from tests.integration.test_workspace_api import new_ticket, patch
from tests.localstack import RunningStack, wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Reports-pass-12345"


def staff(stack: RunningStack, admin: str, group: str) -> tuple[str, str]:
    email = f"reports.{uuid.uuid4().hex[:8]}@example.com"
    temporary = "Temporary-pass-1"
    status, _ = stack.request(
        "POST",
        "/api/admin/agents",
        {"email": email, "group": group, "temporary_password": temporary},
        token=admin,
    )
    assert status == 201
    status, body = stack.request(
        "POST",
        "/api/auth/new-password",
        {"email": email, "password": temporary, "new_password": PASSWORD},
    )
    assert status == 200, body
    return email, str(body["token"])


@pytest.fixture(scope="module")
def admin(stack: RunningStack) -> str:
    return stack.login()


def today(tz: str = "UTC") -> str:
    """Today's date where ``tz`` is (in Athens it is tomorrow from 22:00 UTC)."""
    return datetime.now(ZoneInfo(tz)).date().isoformat()


def summary(
    stack: RunningStack, token: str, extra: str = "", *, tz: str | None = None
) -> tuple[int, Any]:
    day = today(tz or "UTC")
    where = f"&tz={quote(tz)}" if tz else ""
    return stack.request(
        "GET", f"/api/reports/summary?from={day}&to={day}{where}{extra}", token=token
    )


def test_an_agents_solved_ticket_is_in_their_numbers_within_a_minute(
    stack: RunningStack, admin: str
) -> None:
    # Given a fresh agent who takes a ticket, answers once and solves it
    email, token = staff(stack, admin, "agents")
    ticket = new_ticket(stack, token, "Reports: one answer")
    patch(stack, token, ticket["id"], assignee=email)
    status, _ = stack.request(
        "POST", f"/api/tickets/{ticket['id']}/replies", {"text": "Fixed."}, token=token
    )
    assert status == 201
    patch(stack, token, ticket["id"], status="solved")

    # When the agent reads their numbers (the change feed counts the ticket meanwhile)
    def counted() -> dict[str, Any] | None:
        status, body = summary(stack, token)
        assert status == 200, body
        return body if body["totals"]["solved"] == 1 else None

    body = wait_for(counted, timeout=60, interval=1)
    # Then the ticket is there: created, solved at first contact, with a first response time
    assert body is not None, "the solved ticket did not reach the numbers within 60 s"
    assert body["scope"] == "own"
    assert [row["key"] for row in body["rows"]] == [email]
    totals = body["totals"]
    assert totals["created"] == 1
    assert totals["fcr_rate"] == 1.0
    assert totals["first_response"]["median_s"] is not None
    # and the agent may not see a group's numbers
    assert summary(stack, token, "&group_by=group")[0] == 403

    # A lead sees the team, the agent's row among them
    _, lead = staff(stack, admin, "leads")
    status, team = summary(stack, lead, "&group_by=agent", tz="Europe/Athens")
    assert status == 200, team
    assert team["scope"] == "team"
    assert next(r for r in team["rows"] if r["key"] == email)["solved"] == 1

    # CSV: a header, the agent's row, the totals
    status, text = summary(stack, lead, "&group_by=agent&format=csv")
    assert status == 200
    lines = text.splitlines()
    assert lines[0].startswith("key,created,solved,reopened")
    assert any(line.startswith(email + ",1,1,0") for line in lines)
    assert lines[-1].startswith("total,")

    # The tickets behind the agent's solved number
    day = today()
    status, text = stack.request(
        "GET",
        f"/api/reports/tickets?from={day}&to={day}&metric=solved&group_by=agent&key={quote(email)}",
        token=token,
    )
    assert status == 200
    assert [line.split(",")[1] for line in text.splitlines()[1:]] == [ticket["id"]]

    # A rebuild over the stack's tickets finds the aggregates already right
    done = stack.cli("reports", "rebuild", "--since", day)
    assert done.returncode == 0, done.stderr
    assert "tickets read" in done.stdout
    assert done.stdout.rstrip().endswith(", 0 changed")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-11-01&to=2026-10-01", "to"),
        ("from=2026-11-01&to=2026-11-30&tz=Nowhere/City", "tz"),
        ("from=2026-11-01&to=2026-11-30&group_by=planet", "group_by"),
        ("from=2026-11-01", "to"),
        ("from=2026-11-01&to=2026-11-30&format=xls", "format"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(
    stack: RunningStack, admin: str, query: str, field: str
) -> None:
    status, body = stack.request("GET", f"/api/reports/summary?{query}", token=admin)
    assert status == 400, body
    assert body["error"]["field"] == field

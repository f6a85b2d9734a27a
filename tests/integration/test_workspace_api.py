"""The agents' workspace on the shared local stack: views with live counts, filtered and sorted
listings, the changes check for polling, and bulk changes with a partial failure.

The stack is shared, so these tests make their own agent (in no routing group: routing never
gives them a ticket), their own requesters and tags, and compare counts before and after."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from tests.localstack import RunningStack, wait_for

pytestmark = pytest.mark.integration

PASSWORD = "Workspace-pass-12345"


@pytest.fixture(scope="module")
def admin(stack: RunningStack) -> str:
    return stack.login()


@pytest.fixture(scope="module")
def agent(stack: RunningStack, admin: str) -> tuple[str, str]:
    """A fresh agent (email, token), in no group of the routing directory."""
    email = f"queue.{uuid.uuid4().hex[:8]}@example.com"
    temporary = "Temporary-pass-1"
    status, _ = stack.request(
        "POST",
        "/api/admin/agents",
        {"email": email, "group": "agents", "temporary_password": temporary},
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


def new_ticket(stack: RunningStack, token: str, subject: str = "Workspace") -> dict[str, Any]:
    """A ticket for a requester of its own, once its routing has finished (so routing's own
    changes do not race the test's)."""
    requester = f"ws.{uuid.uuid4().hex[:10]}@customer.test"
    status, ticket = stack.request(
        "POST",
        "/api/tickets",
        {"subject": subject, "body": "Please help.", "requester": requester},
        token=token,
    )
    assert status == 201, ticket

    def routed() -> dict[str, Any] | None:
        _status, found = stack.request("GET", f"/api/tickets/{ticket['id']}", token=token)
        return found if found["routing_since"] is None else None

    done = wait_for(routed, timeout=60)
    assert done is not None, "routing did not finish"
    return done


def patch(stack: RunningStack, token: str, ticket_id: str, **changes: Any) -> dict[str, Any]:
    status, body = stack.request("PATCH", f"/api/tickets/{ticket_id}", changes, token=token)
    assert status == 200, body
    return body


def counts(stack: RunningStack, token: str) -> dict[str, int]:
    status, body = stack.request("GET", "/api/views", token=token)
    assert status == 200, body
    return {v["id"]: v["count"] for v in body["items"]}


def listed(stack: RunningStack, token: str, query: str) -> list[dict[str, Any]]:
    status, body = stack.request("GET", f"/api/tickets?{query}", token=token)
    assert status == 200, body
    return list(body["items"])


def test_views_list_the_callers_views_and_their_queries_list_them(
    stack: RunningStack, agent: tuple[str, str]
) -> None:
    _email, token = agent
    status, body = stack.request("GET", "/api/views", token=token)
    assert status == 200
    ids = [v["id"] for v in body["items"]]
    # In no routing group: no group views, but every other view.
    assert ids == ["mine", "unassigned", "pending", "breaching", "breached", "solved", "all"]
    for view in body["items"]:
        status, page = stack.request("GET", f"/api/tickets?{view['query']}", token=token)
        assert status == 200, (view, page)


def test_an_admin_in_no_group_sees_every_routing_group(stack: RunningStack, admin: str) -> None:
    status, body = stack.request("GET", "/api/views", token=admin)
    assert status == 200
    groups = {v["group"] for v in body["items"] if v["id"].startswith("group:")}
    assert {"support", "billing"} <= groups
    assert all(v["query"] == f"view=group&group={v['group']}" for v in body["items"] if v["group"])


def test_counts_move_as_tickets_are_assigned_set_pending_and_solved(
    stack: RunningStack, admin: str, agent: tuple[str, str]
) -> None:
    email, token = agent
    group = f"ws-{uuid.uuid4().hex[:6]}"  # no routing rule knows it: nothing moves it on
    first, second = new_ticket(stack, admin), new_ticket(stack, admin)
    before = counts(stack, token)

    for ticket in (first, second):
        patch(stack, admin, ticket["id"], group=group, assignee=email, status="open")
    assigned = counts(stack, token)
    patch(stack, token, first["id"], status="pending")
    patch(stack, token, second["id"], status="solved")
    after = counts(stack, token)

    assert before["mine"] == 0
    assert assigned["mine"] == 2
    assert after["mine"] == 0
    mine = listed(stack, token, "view=mine")
    assert mine == []
    pending = {t["id"] for t in listed(stack, token, "view=pending&limit=100")}
    solved = {t["id"] for t in listed(stack, token, "view=solved&limit=100")}
    assert first["id"] in pending
    assert second["id"] in solved
    assert after["solved"] >= 1
    assert after["pending"] >= 1
    grouped = listed(stack, token, f"view=group&group={group}&status=pending")
    assert [t["id"] for t in grouped] == [first["id"]]


def test_list_items_carry_the_consoles_columns_and_the_sla_due(
    stack: RunningStack, admin: str
) -> None:
    ticket = new_ticket(stack, admin)
    tag = f"col{uuid.uuid4().hex[:6]}"
    patch(stack, admin, ticket["id"], tags=[tag])

    [item] = listed(stack, admin, f"view=all&tag={tag}")

    for column in (
        "number",
        "subject",
        "requester",
        "status",
        "priority",
        "group",
        "assignee",
        "tags",
        "updated_at",
        "created_at",
        "sla_due",
        "sla_breached",
    ):
        assert column in item
    assert item["tags"] == [tag]
    if item["sla_due"] is not None:  # a running target (the stack's SLA policy applies one)
        due = datetime.fromisoformat(item["sla_due"])
        now = datetime.now(UTC)
        breaching = {t["id"] for t in listed(stack, admin, "view=breaching&limit=100")}
        if now + timedelta(minutes=5) < due < now + timedelta(minutes=55):
            assert ticket["id"] in breaching
        elif due > now + timedelta(minutes=65):
            assert ticket["id"] not in breaching
        assert item["sla_breached"] is (due <= now)


def test_filters_and_sorts(stack: RunningStack, admin: str) -> None:
    tag = f"sort{uuid.uuid4().hex[:6]}"
    made = {p: new_ticket(stack, admin) for p in ("low", "urgent", "high")}
    for priority, ticket in made.items():
        patch(stack, admin, ticket["id"], priority=priority, tags=[tag])
    # the low one changes last: newest change first puts it first
    patch(stack, admin, made["low"]["id"], tags=[tag, "later"])

    status, by_update = stack.request("GET", f"/api/tickets?view=all&tag={tag}", token=admin)
    _status, by_priority = stack.request(
        "GET", f"/api/tickets?view=all&tag={tag}&sort=priority", token=admin
    )
    _status, urgent = stack.request(
        "GET", f"/api/tickets?view=all&tag={tag}&priority=urgent", token=admin
    )
    _status, open_only = stack.request(
        "GET", f"/api/tickets?view=all&tag={tag}&status=new,open", token=admin
    )

    assert status == 200
    assert [t["priority"] for t in by_update["items"]] == ["low", "high", "urgent"]
    assert (by_update["sort"], by_update["ordered"]) == ("updated", "index")
    assert [t["priority"] for t in by_priority["items"]] == ["urgent", "high", "low"]
    assert (by_priority["sort"], by_priority["ordered"]) == ("priority", "page")
    assert [t["id"] for t in urgent["items"]] == [made["urgent"]["id"]]
    assert len(open_only["items"]) == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("view=all&status=open,solved", "status"),
        ("view=all&status=opened", "status"),
        ("view=everything", "view"),
        ("view=all&sort=colour", "sort"),
        ("view=group", "group"),
        ("view=solved&status=open", "status"),
    ],
)
def test_invalid_listings_name_the_field(
    stack: RunningStack, admin: str, query: str, field: str
) -> None:
    status, error = stack.request("GET", f"/api/tickets?{query}", token=admin)
    assert (status, error["error"]["field"]) == (400, field)


def test_changes_tell_the_console_when_to_reload(stack: RunningStack, admin: str) -> None:
    ticket = new_ticket(stack, admin)
    status, first = stack.request(
        "GET", "/api/tickets/changes?since=2000-01-01T00:00:00Z", token=admin
    )
    assert status == 200
    assert first["changed"] is True
    latest = first["latest"]
    status, again = stack.request("GET", f"/api/tickets/changes?since={quote(latest)}", token=admin)
    # Nothing changed since the latest change, unless something else just did.
    assert again["changed"] is (again["latest"] != latest)

    changed = patch(stack, admin, ticket["id"], priority="high")
    status, after = stack.request("GET", f"/api/tickets/changes?since={quote(latest)}", token=admin)
    assert after["changed"] is True
    assert datetime.fromisoformat(after["latest"]) >= datetime.fromisoformat(changed["updated_at"])
    # A "+00:00" sent without encoding arrives as " 00:00": still the same time
    status, unencoded = stack.request(
        "GET", f"/api/tickets/changes?since={after['latest']}", token=admin
    )
    assert (status, unencoded["changed"]) == (200, False) or unencoded["latest"] != after["latest"]


@pytest.mark.parametrize("query", ["", "?since=yesterday", "?since=2025-01-01T00:00:00"])
def test_changes_without_a_valid_since_is_a_400(
    stack: RunningStack, admin: str, query: str
) -> None:
    status, error = stack.request("GET", f"/api/tickets/changes{query}", token=admin)
    assert (status, error["error"]["field"]) == (400, "since")


def test_bulk_changes_each_ticket_and_reports_each_failure(stack: RunningStack, admin: str) -> None:
    first, second, closed = (new_ticket(stack, admin) for _ in range(3))
    patch(stack, admin, first["id"], tags=["keep"])
    patch(stack, admin, closed["id"], status="closed")
    missing = "01ARZ3NDEKTSV4RRFFQ69G5FAV"

    status, body = stack.request(
        "POST",
        "/api/tickets/bulk",
        {
            "ids": [first["id"], str(second["number"]), missing, closed["id"]],
            "changes": {"priority": "urgent", "status": "open", "add_tags": ["bulk-test"]},
        },
        token=admin,
    )

    assert status == 200, body
    results = body["results"]
    assert [(r["id"], r["ok"], r["status"]) for r in results] == [
        (first["id"], True, 200),
        (str(second["number"]), True, 200),
        (missing, False, 404),
        (closed["id"], False, 400),
    ]
    assert results[0]["ticket"]["tags"] == ["bulk-test", "keep"]
    assert results[1]["ticket"]["priority"] == "urgent"
    assert results[3]["field"] == "status"
    _status, thread = stack.request("GET", f"/api/tickets/{first['id']}", token=admin)
    bulk_events = [e for e in thread["events"] if e["reason"] == "bulk"]
    assert len(bulk_events) == 1
    assert bulk_events[0]["changes"]["priority"] == ["normal", "urgent"]
    _status, untouched = stack.request("GET", f"/api/tickets/{closed['id']}", token=admin)
    assert untouched["priority"] == "normal"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ids": [], "changes": {"priority": "high"}}, "ids"),
        ({"ids": [str(n) for n in range(1001, 1102)], "changes": {"priority": "high"}}, "ids"),
        ({"ids": ["1001"], "changes": {}}, "changes"),
        ({"ids": ["1001"], "changes": {"subject": "x"}}, "changes.subject"),
        ({"ids": ["1001"], "changes": {"priority": "whenever"}}, "changes.priority"),
        ({"ids": ["not an id"], "changes": {"priority": "high"}}, "ids[0]"),
        ({"changes": {"priority": "high"}}, "ids"),
    ],
)
def test_a_bulk_body_invalid_as_a_whole_is_a_400_naming_the_field(
    stack: RunningStack, admin: str, body: dict[str, Any], field: str
) -> None:
    status, error = stack.request("POST", "/api/tickets/bulk", body, token=admin)
    assert (status, error["error"]["field"]) == (400, field)


# ---------------------------------------------------------- the console's pickers, SLA panel
def test_the_workspace_lists_groups_agents_and_fields_from_the_applied_config(
    stack: RunningStack, admin: str
) -> None:
    status, body = stack.request("GET", "/api/workspace", token=admin)
    assert status == 200
    groups = {g["name"]: g for g in body["groups"]}
    assert {"support", "support-l2", "billing"} <= set(groups)
    assert groups["support"]["escalates_to"] == "support-l2"
    assert "alice@example.com" in groups["billing"]["members"]
    alice = next(a for a in body["agents"] if a["email"] == "alice@example.com")
    assert alice["name"] == "Alice"
    fields = {f["key"]: f for f in body["fields"]}
    assert fields["plan"]["choices"] == ["free", "pro", "enterprise"]
    assert fields["product"]["customer_visible"] is True


def test_a_ticket_read_by_staff_carries_its_sla_targets_and_customers_never_see_them(
    stack: RunningStack, admin: str
) -> None:
    from tests.localstack import customer_session

    customer = customer_session(stack, f"sla.{uuid.uuid4().hex[:6]}@customer.test")
    status, ticket = stack.request(
        "POST", "/api/tickets", {"subject": "SLA panel", "body": "x"}, token=customer
    )
    assert status == 201

    def targets() -> list[dict[str, Any]] | None:
        _s, thread = stack.request("GET", f"/api/tickets/{ticket['id']}", token=admin)
        return thread.get("sla_targets") or None

    found = wait_for(targets, timeout=20)
    assert found, "no SLA target on a new ticket"
    first = next(t for t in found if t["target"] == "first_response")
    assert first["paused"] is False
    assert first["breached"] is False
    assert first["due_at"] > datetime.now(UTC).isoformat()
    assert first["goal_minutes"] > first["used_minutes"] >= 0
    _s, as_customer = stack.request("GET", f"/api/tickets/{ticket['id']}", token=customer)
    assert "sla_targets" not in as_customer

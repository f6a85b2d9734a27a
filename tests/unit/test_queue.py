"""The agents' workspace (tessera.tickets.queue) against fakes: views and their counts, filters,
sorts, the changes check and bulk changes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tessera.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from tessera.identity.access import Principal, Role
from tessera.sla.clocks import next_breach
from tessera.tickets import conversation, queue
from tessera.tickets.model import Priority, Status, Ticket, utcnow
from tests.factories import sla_config
from tests.fakes import World

ALICE = Principal("alice@example.com", frozenset({Role.AGENT}))  # support and billing
BAHRAM = Principal("bahram@example.com", frozenset({Role.AGENT}))  # support-l2 only
ROOT = Principal("root@example.com", frozenset({Role.ADMIN}))  # in no group
CAROL = Principal("carol@customer.test", frozenset({Role.CUSTOMER}))

GROUPS = """\
groups:
  - name: support
  - name: support-l2
  - name: billing
agents:
  - email: alice@example.com
    groups: [support, billing]
  - email: bahram@example.com
    groups: [support-l2]
"""


def world_with_groups() -> World:
    world = World()
    world.apply_config("groups", GROUPS)
    return world


def ticket(world: World, **changes: object) -> Ticket:
    created = conversation.create_ticket(world.deps, CAROL, subject="Printer", body="Broken")
    if not changes:
        return created
    return conversation.update(world.deps, ALICE, created.id, changes, expected_version=None)


def counts(world: World, principal: Principal = ALICE, **kwargs: object) -> dict[str, int]:
    return {v.id: v.count for v in queue.views(world.deps, principal, **kwargs)}  # type: ignore[arg-type]


def listed(world: World, principal: Principal = ALICE, **kwargs: object) -> list[str]:
    page = queue.listing(world.deps, principal, limit=100, **kwargs)  # type: ignore[arg-type]
    return [t.id for t in page.items]


def test_views_are_the_callers_in_the_consoles_order_each_with_its_query() -> None:
    world = world_with_groups()

    views = queue.views(world.deps, ALICE)

    assert [v.id for v in views] == [
        "mine",
        "unassigned",
        "group:billing",
        "group:support",
        "pending",
        "breaching",
        "breached",
        "solved",
        "all",
    ]
    by_id = {v.id: v for v in views}
    assert by_id["group:billing"].query == "view=group&group=billing"
    assert by_id["all"].query == "view=all&status=new%2Copen"
    assert {v.count for v in views} == {0}


def test_counts_move_as_tickets_are_grouped_assigned_and_solved() -> None:
    world = world_with_groups()
    first = ticket(world, group="support", status="open")
    second = ticket(world, group="billing")
    ticket(world, group="support-l2")  # not one of alice's groups

    before = counts(world)
    conversation.update(
        world.deps, ALICE, first.id, {"assignee": ALICE.email}, expected_version=None
    )
    assigned = counts(world)
    conversation.update(world.deps, ALICE, first.id, {"status": "solved"}, expected_version=None)
    conversation.update(world.deps, ALICE, second.id, {"status": "pending"}, expected_version=None)
    after = counts(world)

    assert before == {
        "mine": 0,
        "unassigned": 2,
        "group:billing": 1,
        "group:support": 1,
        "pending": 0,
        "breaching": 0,
        "breached": 0,
        "solved": 0,
        "all": 3,
    }
    assert (assigned["mine"], assigned["unassigned"], assigned["group:support"]) == (1, 1, 1)
    assert after == {
        **before,
        "mine": 0,
        "unassigned": 0,
        "group:billing": 0,
        "group:support": 0,
        "pending": 1,
        "solved": 1,
        "all": 1,
    }
    assert counts(world, BAHRAM)["unassigned"] == 1  # support-l2's, his group


def test_an_admin_in_no_group_sees_every_group_of_the_directory() -> None:
    world = world_with_groups()
    for group in ("support", "support-l2", "billing"):
        ticket(world, group=group)
    ticket(world)  # no group at all: in no group's view

    mine = counts(world, ROOT)

    assert mine["unassigned"] == 3
    assert {k for k in mine if k.startswith("group:")} == {
        "group:support",
        "group:support-l2",
        "group:billing",
    }


def test_solved_lists_the_last_seven_days_only() -> None:
    world = world_with_groups()
    solved = ticket(world, status="solved")

    assert listed(world, view="solved") == [solved.id]
    later = utcnow() + timedelta(days=8)
    assert listed(world, view="solved", now=later) == []
    assert counts(world, now=later)["solved"] == 0


def test_breaching_and_breached_follow_the_running_sla_target() -> None:
    world = world_with_groups()
    world.apply_config("sla", sla_config("default: {first_response: 30m}", calendar="always"))
    running = ticket(world)
    paused = ticket(world, status="pending")  # pending pauses every target by default
    due = next_breach(running)
    assert due is not None
    assert next_breach(paused) is None

    now = utcnow()
    assert listed(world, view="breaching", now=now) == [running.id]
    assert listed(world, view="breached", now=now) == []
    overdue = due + timedelta(minutes=1)
    assert listed(world, view="breaching", now=overdue) == []
    assert listed(world, view="breached", now=overdue) == [running.id]
    assert counts(world, now=overdue)["breached"] == 1
    early = due - queue.BREACHING_WINDOW - timedelta(minutes=1)
    assert listed(world, view="breaching", now=early) == []


def test_filters_narrow_a_view() -> None:
    world = world_with_groups()
    urgent = ticket(world, group="support", priority="urgent", tags=["vip"])
    ticket(world, group="support", priority="low")
    billing = ticket(world, group="billing", assignee="bahram@example.com")

    assert listed(world, view="all", filters=queue.Filters(priority=Priority.URGENT)) == [urgent.id]
    assert listed(world, view="all", filters=queue.Filters(tag="vip")) == [urgent.id]
    assert listed(world, view="all", filters=queue.Filters(group="billing")) == [billing.id]
    assert listed(world, view="all", filters=queue.Filters(assignee="bahram@example.com")) == [
        billing.id
    ]
    assert listed(world, view="group", group="billing") == [billing.id]
    assert listed(world, view="unassigned", group="billing") == []


def test_statuses_of_two_stages_are_refused_naming_the_field() -> None:
    world = world_with_groups()
    with pytest.raises(ValidationFailed) as refused:
        queue.listing(
            world.deps,
            ALICE,
            view="all",
            filters=queue.Filters(statuses=frozenset({Status.OPEN, Status.SOLVED})),
            limit=10,
        )
    assert refused.value.field == "status"
    with pytest.raises(ValidationFailed) as no_group:
        queue.listing(world.deps, ALICE, view="group", limit=10)
    assert no_group.value.field == "group"


def test_sorts_newest_change_first_by_default_and_others_within_the_page() -> None:
    world = world_with_groups()
    low = ticket(world, priority="low")
    urgent = ticket(world, priority="urgent")
    newest = ticket(world)
    conversation.note(world.deps, ALICE, low.id, text="a note is a change too")

    default = queue.listing(world.deps, ALICE, view="all", limit=10)
    by_priority = queue.listing(world.deps, ALICE, view="all", sort="priority", limit=10)
    by_created = queue.listing(world.deps, ALICE, view="all", sort="created", limit=10)

    assert [t.id for t in default.items] == [low.id, newest.id, urgent.id]
    assert (default.sort, default.ordered_by_index) == ("updated", True)
    assert [t.id for t in by_priority.items] == [urgent.id, newest.id, low.id]
    assert by_priority.ordered_by_index is False
    assert [t.id for t in by_created.items] == [newest.id, urgent.id, low.id]
    assert by_created.ordered_by_index is True  # every ticket has an index by creation
    open_by_created = queue.listing(
        world.deps,
        ALICE,
        view="all",
        filters=queue.Filters(statuses=frozenset({Status.NEW, Status.OPEN})),
        sort="created",
        limit=10,
    )
    assert open_by_created.ordered_by_index is False


def test_pages_follow_the_cursor_to_the_end_without_repeats() -> None:
    world = world_with_groups()
    made = [ticket(world, group="support").id for _ in range(5)]

    seen: list[str] = []
    cursor = None
    while True:
        page = queue.listing(
            world.deps, ALICE, view="group", group="support", limit=2, cursor=cursor
        )
        seen += [t.id for t in page.items]
        cursor = page.cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(made)
    assert len(seen) == 5


def test_changes_says_whether_anything_changed_since() -> None:
    world = world_with_groups()
    assert queue.changes(world.deps, ALICE, utcnow()) == (False, None)
    first = ticket(world)
    changed, latest = queue.changes(world.deps, ALICE, first.created_at - timedelta(seconds=1))
    assert changed
    assert latest == first.updated_at
    assert queue.changes(world.deps, ALICE, latest) == (False, latest)


def test_customers_have_no_workspace() -> None:
    world = world_with_groups()
    with pytest.raises(Forbidden):
        queue.views(world.deps, CAROL)
    with pytest.raises(Forbidden):
        queue.changes(world.deps, CAROL, utcnow())
    with pytest.raises(Forbidden):
        queue.bulk(world.deps, CAROL, ["1001"], {"priority": "high"})


def test_bulk_changes_each_ticket_with_its_own_audit_event_and_reports_failures() -> None:
    world = world_with_groups()
    first = ticket(world, tags=["vip"])
    closed = ticket(world, status="closed")
    second = ticket(world)

    outcomes = queue.bulk(
        world.deps,
        ALICE,
        [first.id, str(closed.number), "01ARZ3NDEKTSV4RRFFQ69G5FAV", str(second.number)],
        {"priority": "high", "status": "open", "add_tags": ["billing", "VIP"]},
    )

    assert [o.ticket is not None for o in outcomes] == [True, False, False, True]
    assert isinstance(outcomes[1].error, InvalidTransition)
    assert isinstance(outcomes[2].error, NotFound)
    changed = world.tickets.get(first.id)
    assert (changed.priority, changed.status) == (Priority.HIGH, Status.OPEN)
    assert changed.tags == frozenset({"vip", "billing"})
    assert world.tickets.get(second.id).tags == frozenset({"vip", "billing"})
    bulk_events = [e for e in world.tickets.thread(first.id).events if e.reason == "bulk"]
    assert len(bulk_events) == 1
    assert set(bulk_events[0].changes) == {"priority", "status", "tags"}
    assert world.tickets.get(closed.id).priority is Priority.NORMAL  # nothing half-done


def test_a_bulk_body_invalid_as_a_whole_names_the_field() -> None:
    world = world_with_groups()
    with pytest.raises(ValidationFailed) as too_many:
        queue.bulk(world.deps, ALICE, [str(n) for n in range(101)], {"priority": "high"})
    assert too_many.value.field == "ids"
    with pytest.raises(ValidationFailed) as unknown:
        queue.bulk(world.deps, ALICE, ["1001"], {"subject": "x"})
    assert unknown.value.field == "changes.subject"


def test_reindex_saves_every_ticket_with_its_sla_due() -> None:
    world = world_with_groups()
    world.apply_config("sla", sla_config("default: {first_response: 30m}", calendar="always"))
    tickets = [ticket(world) for _ in range(3)]
    for t in tickets:  # as stored before breach_at was kept
        stored = world.tickets.get(t.id)
        stored.sla = {k: v for k, v in stored.sla.items() if k != "breach_at"}
        world.tickets.save(stored, [])
    assert all(next_breach(world.tickets.get(t.id)) is None for t in tickets)

    assert queue.reindex(world.deps, page_size=2) == (3, 0)

    assert all(next_breach(world.tickets.get(t.id)) is not None for t in tickets)

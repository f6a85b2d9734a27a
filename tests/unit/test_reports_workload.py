"""Agent workload now: open assigned tickets per agent, from the per-assignee index, beside the
capacity of the groups document; an agent sees their own line."""

from __future__ import annotations

from tessera.identity.access import Principal, Role
from tessera.reports.workload import workload
from tessera.tickets.model import Status
from tests.fakes import World
from tests.reports_month import build_month

GROUPS = """\
groups:
  - name: billing
  - name: tech
agents:
  - {email: alice@example.com, groups: [billing], capacity: 3}
  - {email: bahram@example.com, groups: [tech]}
  - {email: eleni@example.com, groups: [tech], capacity: 2}
"""
LEAD = Principal("lena@example.com", frozenset({Role.LEAD, Role.AGENT}))
ELENI = Principal("eleni@example.com", frozenset({Role.AGENT}))


def test_open_assigned_now_and_capacity_per_agent() -> None:
    # Given the golden month (alice's and bahram's tickets solved, eleni's t3 open) and one more
    # of eleni's tickets waiting on the customer
    world = World()
    world.apply_config("groups", GROUPS)
    named = build_month(world.tickets)
    waiting = world.tickets.get(named["t1"].id)
    waiting.status, waiting.assignee = Status.PENDING, "eleni@example.com"
    world.tickets.save(waiting, [])
    # When a lead reads the workload
    found = {w.agent: w for w in workload(world.deps, LEAD)}
    # Then every configured agent has a line with the document's capacity (default 20)
    assert {a: (w.open, w.waiting, w.capacity) for a, w in found.items()} == {
        "alice@example.com": (0, 0, 3),
        "bahram@example.com": (0, 0, 20),
        "eleni@example.com": (1, 1, 2),
    }
    assert found["eleni@example.com"].utilisation == 1.0
    assert not any(w.at_least for w in found.values())


def test_an_agent_sees_their_own_line_only() -> None:
    world = World()
    world.apply_config("groups", GROUPS)
    build_month(world.tickets)
    assert [w.agent for w in workload(world.deps, ELENI)] == ["eleni@example.com"]


def test_without_a_groups_document_there_is_nobody() -> None:
    assert workload(World().deps, LEAD) == ()

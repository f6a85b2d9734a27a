"""The weekly digest: last week's numbers per group, mailed once a week to the leads and admins
who switched it on (off by default), never twice for one week."""

from __future__ import annotations

from datetime import UTC, datetime

from tessera.identity.access import Principal, Role
from tessera.ports import StaffMember
from tessera.reports.aggregates import count_ticket
from tessera.reports.digest import send_weekly
from tessera.workspace import settings
from tests.fakes import World
from tests.fakes.reports import InMemoryAggregateStore
from tests.reports_month import build_month, sla_config

MONDAY = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # the week before: 23 to 29 November


def member(email: str, *groups: str) -> StaffMember:
    return StaffMember(email=email, groups=groups, status="CONFIRMED", enabled=True)


def test_the_digest_goes_once_to_the_leads_and_admins_who_opted_in() -> None:
    # Given the golden month and four staff members, two of whom switched the digest on
    world = World()
    named = build_month(world.tickets)
    store = InMemoryAggregateStore()
    for ticket in named.values():
        count_ticket(store, world.tickets, sla_config(), ticket.id)
    lead = Principal("lena@example.com", frozenset({Role.LEAD, Role.AGENT}))
    settings.update_me(world.deps, lead, notify={"weekly_digest": True})
    agent = Principal("alice@example.com", frozenset({Role.AGENT}))
    settings.update_me(world.deps, agent, notify={"weekly_digest": True})
    members = [
        member("lena@example.com", "agents", "leads"),
        member("admin@example.com", "admins"),  # never opted in
        member("alice@example.com", "agents"),  # opted in, but not a lead
    ]
    # When the schedule fires, and fires again (a retried delivery)
    first = send_weekly(world.deps, store, members, MONDAY)
    again = send_weekly(world.deps, store, members, MONDAY)
    # Then only the lead got it, once, with last week's groups and a link to the dashboard
    assert first == ["lena@example.com"]
    assert again == []
    mail = world.mailer.sent[-1]
    assert mail["to"] == ["lena@example.com"]
    assert "2026-11-23 to 2026-11-29" in mail["subject"]
    text = mail["text"]
    tech = next(line for line in text.splitlines() if line.startswith("tech"))
    assert "created    1" in tech  # t2, opened Wednesday 25th
    assert "reopened   1" in tech  # reopened Saturday 28th
    assert "/console/#/reports?from=2026-11-23&to=2026-11-29&group_by=group" in text


def test_the_digest_is_off_until_switched_on() -> None:
    world = World()
    lead = Principal("lena@example.com", frozenset({Role.LEAD}))
    assert settings.me(world.deps, lead).notify["weekly_digest"] is False
    assert settings.me(world.deps, lead).role == "lead"

"""A business calendar per group (the ``groups`` document's ``calendar``): refused at its key
and line when the sla document has no such calendar, and the one the SLA clocks of that group's
tickets run on when their policy names none."""

from __future__ import annotations

import pytest

from tessera.config import ConfigError, kinds
from tessera.config.admin import validate_config
from tessera.errors import ValidationFailed
from tessera.sla import clocks
from tessera.tickets.model import Channel, open_ticket
from tests.fakes import World

SLA = """\
calendars:
  - name: office
    timezone: UTC
    hours: {mon-fri: "09:00-17:00"}
  - name: night
    timezone: UTC
    hours: {mon-sun: "00:00-24:00"}
  - name: sydney
    timezone: Australia/Sydney
    hours: {mon-fri: "09:00-17:00"}
default_calendar: office
group_calendars: {billing: sydney}
policies:
  - name: standard
    targets:
      default: {first_response: 4h}
"""
GROUPS = """\
groups:
  - name: support
    calendar: night
  - name: billing
    calendar: {calendar}
  - name: sales
agents: []
"""


def ticket(group: str):  # type: ignore[no-untyped-def]
    found, _event = open_ticket(
        number=1, subject="Hi", requester="dana@customer.test", channel=Channel.EMAIL,
        actor="system:intake", reason="test", group=group,
    )  # fmt: skip
    return found


def world(calendar: str = "night") -> World:
    w = World()
    w.apply_config("sla", SLA)
    w.apply_config("groups", GROUPS.format(calendar=calendar))
    return w


def calendar_of(w: World, group: str) -> str:
    config = clocks.applied(w.deps)
    assert config is not None
    policy = config.policy_for(ticket(group))
    assert policy is not None
    return config.calendar_for(policy, ticket(group)).name


def test_a_groups_calendar_runs_its_tickets_clocks() -> None:
    # Given support's calendar is night in the groups document
    w = world()
    # Then a support ticket's clocks run on it; a group without one, on the default
    assert calendar_of(w, "support") == "night"
    assert calendar_of(w, "sales") == "office"


def test_the_groups_document_wins_over_the_sla_documents_group_calendars() -> None:
    # Given billing is sydney in the sla document and night in the groups document
    w = world(calendar="night")
    # Then the groups document's calendar is the one used
    assert calendar_of(w, "billing") == "night"


def test_a_policys_own_calendar_wins_over_the_groups() -> None:
    w = world()
    w.apply_config(
        "sla", SLA.replace("  - name: standard\n", "  - name: standard\n    calendar: sydney\n")
    )
    assert calendar_of(w, "support") == "sydney"


def test_an_unknown_calendar_is_refused_with_its_key_and_line() -> None:
    # Given the applied sla document has office, night and sydney
    w = world()
    text = GROUPS.format(calendar="weekends")
    # When a groups document naming weekends is checked against it
    with pytest.raises(ValidationFailed) as refused:
        validate_config("groups", text, w.deps)
    # Then it is refused at billing's calendar, line 5, naming the calendars there are
    assert refused.value.field == "groups[1].calendar"
    assert refused.value.line == 5
    assert "no calendar weekends" in str(refused.value)
    assert "night, office, sydney" in str(refused.value)


def test_a_calendar_that_is_not_a_string_is_refused_by_the_groups_document_alone() -> None:
    with pytest.raises(ConfigError) as refused:
        kinds.validate("groups", GROUPS.format(calendar="[a, b]"), "groups.yaml")
    assert refused.value.line == 5


def test_the_workspace_shows_each_groups_calendar() -> None:
    from tessera.identity.access import Principal, Role
    from tessera.workspace import team

    w = world()
    found = team.workspace(w.deps, Principal("alice@example.com", frozenset({Role.AGENT})))
    assert {g.name: g.calendar for g in found.groups} == {
        "support": "night",
        "billing": "night",
        "sales": "office",
    }

"""The ``sla`` config kind: policies, calendars, escalation and automations as reviewed YAML,
refused with file, line and key."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tessera.config import ConfigError, kinds
from tessera.sla.policies import SlaConfig, parse_duration
from tessera.tickets.model import Channel, Priority, open_ticket
from tests.factories import sla_config

ROOT = Path(__file__).resolve().parents[2]

MINIMAL = sla_config()


def sla(text: str) -> SlaConfig:
    parsed: SlaConfig = kinds.validate("sla", text, "sla.yaml")
    return parsed


def refused(text: str) -> str:
    with pytest.raises(ConfigError) as raised:
        sla(text)
    return str(raised.value)


def test_the_shipped_sla_config_is_valid() -> None:
    # Given infra/config/sla.yaml as the local stack applies it
    text = (ROOT / "infra" / "config" / "sla.yaml").read_text(encoding="utf-8")

    # When it is validated
    parsed = sla(text)

    # Then its calendars have the iCal holidays too, and the policies are in order
    assert date(2026, 7, 4) in parsed.calendars["office"].holidays
    assert [p.name for p in parsed.policies] == ["vip", "standard"]
    assert parsed.escalation.ladder == ("support", "support-l2")


def test_a_minimal_config_defaults_pausing_on_pending_and_on_hold() -> None:
    parsed = sla(MINIMAL)
    (policy,) = parsed.policies
    assert policy.pause["pending"] == policy.pause["on-hold"]
    assert "resolution" in policy.pause["pending"]
    target = policy.target(Priority.URGENT, "first_response")
    assert target is not None
    assert (target.within, target.business, target.warn_at) == (timedelta(hours=4), True, None)


def test_the_first_matching_policy_applies() -> None:
    text = MINIMAL.replace(
        "policies:\n",
        "policies:\n  - name: vip\n    when: {tags: [vip], priority: [urgent]}\n"
        "    targets: {default: {first_response: 1h}}\n",
    )
    parsed = sla(text)
    ticket, _ = open_ticket(
        number=1, subject="s", requester="a@b.test", channel=Channel.EMAIL, actor="t", reason="r"
    )
    policy = parsed.policy_for(ticket)
    assert policy is not None
    assert policy.name == "standard"
    ticket.tags, ticket.priority = frozenset({"vip"}), Priority.URGENT
    policy = parsed.policy_for(ticket)
    assert policy is not None
    assert policy.name == "vip"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            ("first_response: 4h", "first_response: soon"),
            "sla.yaml:9: policies[0].targets.default.first_response: 'soon'",
        ),
        (("first_response: 4h", "first_reply: 4h"), "first_reply: unknown key"),
        (("timezone: UTC", "timezone: Mars/Base"), "sla.yaml:3: calendars[0].timezone"),
        (('"09:00-17:00"', '"9-5"'), "sla.yaml:4: calendars[0].hours.mon-fri: '9-5'"),
        (("mon-fri", "weekdays"), "calendars[0].hours.weekdays: is not a day"),
        (("default_calendar: office", "default_calendar: home"), "default_calendar: must be one"),
        (("    targets:", "    calendar: nope\n    targets:"), "policies[0].calendar: must be one"),
        (("default: {", "someday: {"), "policies[0].targets.someday: unknown key"),
    ],
)
def test_refusals_name_file_line_and_key(change: tuple[str, str], problem: str) -> None:
    message = refused(MINIMAL.replace(*change))
    assert problem in message


def test_ical_refusals_name_the_calendar_and_the_ical_line() -> None:
    text = MINIMAL.replace(
        '    hours: {mon-fri: "09:00-17:00"}\n',
        '    hours: {mon-fri: "09:00-17:00"}\n    holidays_ical: |\n'
        "      BEGIN:VEVENT\n      DTSTART:20251225T100000Z\n      END:VEVENT\n",
    )
    assert "calendars[0].holidays_ical: iCalendar line 2" in refused(text)


def test_automation_and_escalation_refusals() -> None:
    text = MINIMAL + "automations: {pending_reminder_after: 8d, pending_close_after: 7d}\n"
    assert "pending_reminder_after: must be shorter" in refused(text)
    text = MINIMAL + "escalation: {contacts: {support: {lead: nobody}}}\n"
    assert "escalation.contacts.support.lead: must be an email address" in refused(text)
    text = MINIMAL + "escalation: {warn_at: 120%}\n"
    assert "escalation.warn_at: must be between" in refused(text)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("30m", 1800), ("1h30m", 5400), ("2d", 172800)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "0m", "1x", "h", "1h 30"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|zero"):
        parse_duration(text)


def test_ladder_climbs_one_tier_at_a_time() -> None:
    parsed = sla(MINIMAL + "escalation: {ladder: [support, tier2, tier3], repeat_every: 1h}\n")
    ladder = parsed.escalation
    assert [ladder.next_tier(g) for g in ("support", "tier2", "tier3", "billing")] == [
        "tier2",
        "tier3",
        None,
        "support",
    ]
    assert ladder.levels() == 2


def test_a_working_week_may_run_over_the_weekend() -> None:
    # Given an office open Saturday to Wednesday (Iran's working week)
    parsed = sla(MINIMAL.replace("mon-fri", "sat-wed"))
    calendar = parsed.calendars["office"]
    # Then it is open on those five days at 10:00 and closed on Thursday and Friday
    saturday = datetime(2026, 3, 7, 10, 0, tzinfo=UTC)  # a Saturday
    open_days = {
        (saturday + timedelta(days=n)).strftime("%a")
        for n in range(7)
        if calendar.is_open(saturday + timedelta(days=n))
    }
    assert open_days == {"Sat", "Sun", "Mon", "Tue", "Wed"}

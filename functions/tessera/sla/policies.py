"""SLA configuration (``infra/config/sla.yaml``, kind ``sla``): calendars, policies, the
escalation ladder and the time-based automations, in one document so every reference between
them (a policy's calendar, a group's calendar) is checked when it is validated.

Refusals name the file, the line and the key (see :mod:`tessera.config`). docs/sla.md is the
reference; the shape::

    calendars:
      - name: office
        timezone: America/New_York
        hours: {mon-fri: "09:00-17:00"}        # a day or day range -> "HH:MM-HH:MM" or a list
        holidays: [2025-12-25]                 # dates, and/or
        holidays_ical: |                       # an iCalendar file's all-day events
          BEGIN:VCALENDAR ...
    default_calendar: office
    group_calendars: {tier2: office}           # optional: group -> calendar
    policies:                                  # the first whose `when` matches applies
      - name: vip
        when: {tags: [vip], priority: [urgent, high], group: [...], mailbox: [...],
               requester_domain: [...], custom_fields: {region: [eu]}}
        calendar: office                       # optional
        pause: {pending: [resolution], on-hold: [resolution]}
        targets:
          urgent: {first_response: 30m, resolution: {within: 4h, hours: calendar, warn_at: 80%}}
          default: {first_response: 8h, next_reply: 8h, periodic_update: 1d, resolution: 3d}
    escalation:
      warn_at: 75%
      ladder: [support, tier2, tier3]
      repeat_every: 2h                          # optional: one tier further while still breached
      raise_priority: true
      contacts: {support: {lead: a@x, manager: b@x, sms: true}}
    automations:
      pending_reminder_after: 3d
      pending_close_after: 7d
      pending_close_to: solved                 # or closed
      solved_close_after: 4d
      csat_survey_on_solve: true
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from tessera.config import Document, Path
from tessera.sla.calendar import (
    WEEKDAYS,
    BusinessCalendar,
    CalendarError,
    Opening,
    parse_hours,
    parse_ical_holidays,
)
from tessera.tickets.model import Priority, Status, Ticket

TARGETS = ("first_response", "next_reply", "periodic_update", "resolution")
PAUSABLE = (Status.PENDING.value, Status.ON_HOLD.value)
_DURATION = re.compile(r"(\d+)\s*(w|d|h|m|s)")
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


@dataclass(frozen=True)
class Target:
    """One target of a policy for one priority: reached within ``within`` of business time (or
    of calendar time when ``business`` is false); warn at ``warn_at`` of it (None: no warning)."""

    within: timedelta
    business: bool = True
    warn_at: float | None = None


@dataclass(frozen=True)
class Conditions:
    priority: frozenset[str] = frozenset()
    group: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    mailbox: frozenset[str] = frozenset()
    requester_domain: frozenset[str] = frozenset()
    custom_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def match(self, ticket: Ticket) -> bool:
        """Every condition given holds (a list matches any of its values)."""
        return (
            (not self.priority or ticket.priority.value in self.priority)
            and (not self.group or (ticket.group or "") in self.group)
            and (not self.tags or bool(self.tags & ticket.tags))
            and (not self.mailbox or (ticket.mailbox or "") in self.mailbox)
            and (
                not self.requester_domain
                or ticket.requester.rsplit("@", 1)[-1] in self.requester_domain
            )
            and all(
                ticket.custom_fields.get(name) in values
                for name, values in self.custom_fields.items()
            )
        )


@dataclass(frozen=True)
class Policy:
    name: str
    when: Conditions
    targets: Mapping[str, Mapping[str, Target]]  # priority (or "default") -> target -> Target
    pause: Mapping[str, frozenset[str]]  # status -> the targets it pauses
    calendar: str | None = None

    def target(self, priority: Priority, name: str) -> Target | None:
        chosen = self.targets.get(priority.value, self.targets.get("default", {}))
        return chosen.get(name)


@dataclass(frozen=True)
class Contact:
    lead: str | None = None
    manager: str | None = None
    sms: bool = False


@dataclass(frozen=True)
class Escalation:
    ladder: Sequence[str] = ()
    repeat_every: timedelta | None = None
    raise_priority: bool = True
    contacts: Mapping[str, Contact] = field(default_factory=dict)

    def next_tier(self, group: str | None) -> str | None:
        """The group one tier above ``group`` (the first tier for a group not on the ladder)."""
        if not self.ladder:
            return None
        if group not in self.ladder:
            return self.ladder[0] if self.ladder[0] != group else None
        index = self.ladder.index(group)
        return self.ladder[index + 1] if index + 1 < len(self.ladder) else None

    def levels(self) -> int:
        """How many escalation levels a breached target may reach (level 1 is the breach)."""
        return max(1, len(self.ladder) - 1) if self.repeat_every else 1


@dataclass(frozen=True)
class Automations:
    pending_reminder_after: timedelta | None = None
    pending_close_after: timedelta | None = None
    pending_close_to: Status = Status.SOLVED
    solved_close_after: timedelta | None = None
    csat_survey_on_solve: bool = False


@dataclass(frozen=True)
class SlaConfig:
    calendars: Mapping[str, BusinessCalendar]
    default_calendar: str
    group_calendars: Mapping[str, str]
    policies: Sequence[Policy]
    escalation: Escalation = Escalation()
    automations: Automations = Automations()
    warn_at: float | None = None

    def policy_for(self, ticket: Ticket) -> Policy | None:
        return next((p for p in self.policies if p.when.match(ticket)), None)

    def calendar_for(self, policy: Policy, ticket: Ticket) -> BusinessCalendar:
        name = policy.calendar or self.group_calendars.get(ticket.group or "")
        return self.calendars[name or self.default_calendar]

    def with_group_calendars(self, calendars: Mapping[str, str | None]) -> SlaConfig:
        """This configuration with the groups document's ``calendar`` of each group, which wins
        over this document's ``group_calendars`` (a policy's own calendar wins over both). A
        name this document has no calendar for is left out: the clocks never fail on it."""
        named = {g: c for g, c in calendars.items() if c is not None and c in self.calendars}
        if not named:
            return self
        return replace(self, group_calendars={**self.group_calendars, **named})


def parse_duration(text: str) -> timedelta:
    """``"90s"``, ``"30m"``, ``"4h"``, ``"1h30m"``, ``"2d"``, ``"1w"`` (a day is 24 hours)."""
    compact = str(text).replace(" ", "")
    parts = _DURATION.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise ValueError("is not a duration like 90s, 30m, 4h, 1h30m, 2d")
    seconds = sum(int(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError("must be longer than zero")
    return timedelta(seconds=seconds)


def parse_sla(doc: Document) -> SlaConfig:
    """The ``sla`` config kind's validator (registered in tessera.config.kinds.KINDS)."""
    top = doc.mapping(
        (),
        required=["calendars", "default_calendar", "policies"],
        optional=["group_calendars", "escalation", "automations", "warn_at"],
    )
    calendars = _calendars(doc)
    default = doc.string(("default_calendar",), choices=calendars)
    group_calendars: dict[str, str] = {}
    if "group_calendars" in top:
        for group in doc.mapping(("group_calendars",), optional=list(top["group_calendars"])):
            group_calendars[group] = doc.string(("group_calendars", group), choices=calendars)
    warn_at = _ratio(doc, ("warn_at",)) if "warn_at" in top else None
    escalation = _escalation(doc) if "escalation" in top else Escalation()
    if "escalation" in top and "warn_at" in top["escalation"]:
        warn_at = _ratio(doc, ("escalation", "warn_at"))
    policies = []
    names: set[str] = set()
    for i, _ in enumerate(doc.sequence(("policies",))):
        policy = _policy(doc, ("policies", i), calendars, warn_at)
        if policy.name in names:
            raise doc.error(("policies", i, "name"), f"policy {policy.name} is listed twice")
        names.add(policy.name)
        policies.append(policy)
    if not policies:
        raise doc.error(("policies",), "needs at least one policy")
    automations = _automations(doc) if "automations" in top else Automations()
    return SlaConfig(
        calendars=calendars,
        default_calendar=default,
        group_calendars=group_calendars,
        policies=policies,
        escalation=escalation,
        automations=automations,
        warn_at=warn_at,
    )


def _duration(doc: Document, path: Path) -> timedelta:
    value = doc.at(path)
    try:
        return parse_duration(value if isinstance(value, str) else str(value))
    except ValueError as error:
        raise doc.error(path, f"{value!r} {error}") from None


def _ratio(doc: Document, path: Path) -> float:
    value = doc.at(path)
    text = str(value).strip()
    try:
        ratio = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise doc.error(path, f"{value!r} is not a percentage like 75%") from None
    if not 0 < ratio < 1:
        raise doc.error(path, "must be between 0% and 100%")
    return ratio


def _strings(
    doc: Document, path: Path, *, choices: Sequence[str] | None = None, lower: bool = True
) -> frozenset[str]:
    value = doc.at(path)
    items = [value] if isinstance(value, str) else doc.sequence(path)
    found = set()
    for i, _ in enumerate(items):
        item_path = path if isinstance(value, str) else (*path, i)
        text = doc.string(item_path, choices=choices).strip()
        found.add(text.lower() if lower else text)
    return frozenset(found)


def _calendars(doc: Document) -> dict[str, BusinessCalendar]:
    calendars: dict[str, BusinessCalendar] = {}
    for i, _ in enumerate(doc.sequence(("calendars",))):
        path: Path = ("calendars", i)
        entry = doc.mapping(
            path, required=["name", "timezone", "hours"], optional=["holidays", "holidays_ical"]
        )
        name = doc.string((*path, "name"))
        if name in calendars:
            raise doc.error((*path, "name"), f"calendar {name} is listed twice")
        openings: list[Opening] = []
        hours = doc.mapping((*path, "hours"), optional=list(doc.at((*path, "hours")) or {}))
        for days, spans in hours.items():
            day_path = (*path, "hours", days)
            weekdays = _weekdays(doc, day_path, str(days))
            texts = [spans] if isinstance(spans, str) else doc.sequence(day_path)
            for j, text in enumerate(texts):
                span_path = day_path if isinstance(spans, str) else (*day_path, j)
                if not isinstance(text, str):
                    raise doc.error(span_path, "must be HH:MM-HH:MM")
                try:
                    start, end = parse_hours(text)
                except CalendarError as error:
                    raise doc.error(span_path, str(error)) from None
                openings += [Opening(d, start, end) for d in weekdays]
        holidays: set[date] = set()
        if "holidays" in entry:
            for j, day in enumerate(doc.sequence((*path, "holidays"))):
                if not isinstance(day, date):
                    raise doc.error((*path, "holidays", j), "must be a date like 2025-12-25")
                holidays.add(day)
        if "holidays_ical" in entry:
            text = doc.string((*path, "holidays_ical"))
            try:
                holidays |= {h.day for h in parse_ical_holidays(text)}
            except CalendarError as error:
                ical_path = (*path, "holidays_ical")
                # The iCal text starts on the line after the key's block indicator.
                raise doc.error(ical_path, f"iCalendar {error}") from None
        try:
            calendars[name] = BusinessCalendar(
                name, doc.string((*path, "timezone")), openings, frozenset(holidays)
            )
        except CalendarError as error:
            key = "timezone" if "zone" in str(error) else "hours"
            raise doc.error((*path, key), str(error)) from None
    if not calendars:
        raise doc.error(("calendars",), "needs at least one calendar")
    return calendars


def _weekdays(doc: Document, path: Path, text: str) -> list[int]:
    words = text.strip().lower()
    if words in {"daily", "every day"}:
        return list(range(7))
    first, _, last = words.partition("-")
    if first not in WEEKDAYS or (last and last not in WEEKDAYS):
        raise doc.error(path, "is not a day (mon..sun) or a day range like mon-fri")
    a, b = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
    # A range may run over the weekend: sat-wed is Saturday to Wednesday (Iran's working week).
    return [(a + i) % 7 for i in range((b - a) % 7 + 1)]


def _policy(
    doc: Document, path: Path, calendars: Mapping[str, BusinessCalendar], warn_at: float | None
) -> Policy:
    entry = doc.mapping(path, required=["name", "targets"], optional=["when", "calendar", "pause"])
    name = doc.string((*path, "name"))
    when = Conditions()
    if "when" in entry:
        w_path = (*path, "when")
        w = doc.mapping(
            w_path,
            optional=["priority", "group", "tags", "mailbox", "requester_domain", "custom_fields"],
        )
        custom: dict[str, frozenset[str]] = {}
        if "custom_fields" in w:
            c_path = (*w_path, "custom_fields")
            for key in doc.mapping(c_path, optional=list(w["custom_fields"] or {})):
                custom[key] = _strings(doc, (*c_path, key), lower=False)
        when = Conditions(
            priority=_strings(doc, (*w_path, "priority"), choices=[p.value for p in Priority])
            if "priority" in w
            else frozenset(),
            group=_strings(doc, (*w_path, "group")) if "group" in w else frozenset(),
            tags=_strings(doc, (*w_path, "tags")) if "tags" in w else frozenset(),
            mailbox=_strings(doc, (*w_path, "mailbox")) if "mailbox" in w else frozenset(),
            requester_domain=_strings(doc, (*w_path, "requester_domain"))
            if "requester_domain" in w
            else frozenset(),
            custom_fields=custom,
        )
    calendar = doc.string((*path, "calendar"), choices=calendars) if "calendar" in entry else None
    pause = {status: frozenset(TARGETS) for status in PAUSABLE}
    if "pause" in entry:
        p_path = (*path, "pause")
        given = doc.mapping(p_path, optional=PAUSABLE)
        pause = {
            status: _strings(doc, (*p_path, status), choices=TARGETS)
            if given.get(status)
            else frozenset()
            for status in PAUSABLE
        }
    targets: dict[str, dict[str, Target]] = {}
    t_path = (*path, "targets")
    priorities = [p.value for p in Priority] + ["default"]
    for priority in doc.mapping(t_path, optional=priorities):
        p_path = (*t_path, priority)
        targets[priority] = {
            target: _target(doc, (*p_path, target), warn_at)
            for target in doc.mapping(p_path, optional=TARGETS)
        }
    if not targets:
        raise doc.error(t_path, "needs targets for at least one priority (or default)")
    return Policy(name=name, when=when, targets=targets, pause=pause, calendar=calendar)


def _target(doc: Document, path: Path, warn_at: float | None) -> Target:
    value = doc.at(path)
    if not isinstance(value, Mapping):
        return Target(within=_duration(doc, path), business=True, warn_at=warn_at)
    entry = doc.mapping(path, required=["within"], optional=["hours", "warn_at"])
    hours = (
        doc.string((*path, "hours"), choices=["business", "calendar"])
        if "hours" in entry
        else "business"
    )
    return Target(
        within=_duration(doc, (*path, "within")),
        business=hours == "business",
        warn_at=_ratio(doc, (*path, "warn_at")) if "warn_at" in entry else warn_at,
    )


def _escalation(doc: Document) -> Escalation:
    path: Path = ("escalation",)
    entry = doc.mapping(
        path, optional=["warn_at", "ladder", "repeat_every", "raise_priority", "contacts"]
    )
    ladder: list[str] = []
    if "ladder" in entry:
        for i, _ in enumerate(doc.sequence((*path, "ladder"))):
            group = doc.string((*path, "ladder", i))
            if group in ladder:
                raise doc.error((*path, "ladder", i), f"{group} is on the ladder twice")
            ladder.append(group)
    contacts: dict[str, Contact] = {}
    if "contacts" in entry:
        c_path = (*path, "contacts")
        for group in doc.mapping(c_path, optional=list(entry["contacts"] or {})):
            g_path = (*c_path, group)
            c = doc.mapping(g_path, optional=["lead", "manager", "sms"])
            for role in ("lead", "manager"):
                if role in c and "@" not in doc.string((*g_path, role)):
                    raise doc.error((*g_path, role), "must be an email address")
            if "sms" in c and not isinstance(c["sms"], bool):
                raise doc.error((*g_path, "sms"), "must be true or false")
            contacts[group] = Contact(
                lead=c.get("lead"), manager=c.get("manager"), sms=bool(c.get("sms", False))
            )
    raise_priority = entry.get("raise_priority", True)
    if not isinstance(raise_priority, bool):
        raise doc.error((*path, "raise_priority"), "must be true or false")
    return Escalation(
        ladder=tuple(ladder),
        repeat_every=_duration(doc, (*path, "repeat_every")) if "repeat_every" in entry else None,
        raise_priority=raise_priority,
        contacts=contacts,
    )


def _automations(doc: Document) -> Automations:
    path: Path = ("automations",)
    entry = doc.mapping(
        path,
        optional=[
            "pending_reminder_after",
            "pending_close_after",
            "pending_close_to",
            "solved_close_after",
            "csat_survey_on_solve",
        ],
    )

    def maybe(key: str) -> timedelta | None:
        return _duration(doc, (*path, key)) if entry.get(key) is not None else None

    csat = entry.get("csat_survey_on_solve", False)
    if not isinstance(csat, bool):
        raise doc.error((*path, "csat_survey_on_solve"), "must be true or false")
    reminder, close = maybe("pending_reminder_after"), maybe("pending_close_after")
    if reminder and close and reminder >= close:
        raise doc.error(
            (*path, "pending_reminder_after"), "must be shorter than pending_close_after"
        )
    close_to = (
        doc.string((*path, "pending_close_to"), choices=["solved", "closed"])
        if "pending_close_to" in entry
        else "solved"
    )
    return Automations(
        pending_reminder_after=reminder,
        pending_close_after=close,
        pending_close_to=Status(close_to),
        solved_close_after=maybe("solved_close_after"),
        csat_survey_on_solve=csat,
    )

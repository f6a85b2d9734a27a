"""Who can take a ticket: groups (with their assignment strategy and escalation order, which
makes tiers L1/L2/L3) and agents (groups, skills, languages, capacity, working hours in their
time zone, status).

Kept as reviewed config (``infra/config/groups.yaml``, kind ``groups``) and read through the small
:class:`Directory` interface, so an admin API that edits agents later changes only where the
directory comes from, not the routing code.

::

    groups:
      - name: support                 # L1
        strategy: round-robin         # or least-loaded, or queue (never auto-assign)
        escalates_to: support-l2      # the next tier
      - name: support-l2
        strategy: least-loaded
    agents:
      - email: alice@example.com
        groups: [support]
        skills: [billing]             # a ticket tagged skill:<name> needs the skill
        languages: [en, el]           # a ticket in another language needs someone else
        capacity: 10                  # open tickets at most
        timezone: Europe/Athens
        hours: {days: [mon, tue, wed, thu, fri], between: ["08:00", "17:00"]}
        status: available             # or away, offline
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tessera.config import Document, Path, type_name
from tessera.routing.rules import DAYS

STRATEGIES = ("round-robin", "least-loaded", "queue")
STATUSES = ("available", "away", "offline")
DEFAULT_CAPACITY = 20


@dataclass(frozen=True)
class Hours:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time

    def contains(self, local: datetime) -> bool:
        clock = local.time().replace(tzinfo=None)
        inside = (
            self.start <= clock < self.end
            if self.start <= self.end
            else (clock >= self.start or clock < self.end)
        )
        return inside and local.weekday() in self.days


@dataclass(frozen=True)
class Agent:
    email: str
    groups: frozenset[str]
    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()  # empty: any language
    capacity: int = DEFAULT_CAPACITY
    timezone: str = "UTC"
    hours: Hours | None = None  # None: any time
    status: str = "available"

    def unavailable_because(self, now: datetime) -> str | None:
        """Why the agent cannot take a ticket now (status, working hours), or None."""
        if self.status != "available":
            return f"{self.email} is {self.status}"
        if self.hours is not None:
            local = now.astimezone(ZoneInfo(self.timezone))
            if not self.hours.contains(local):
                return f"{self.email} is off work ({local:%a %H:%M} {self.timezone})"
        return None


@dataclass(frozen=True)
class Group:
    name: str
    strategy: str = "round-robin"
    escalates_to: str | None = None
    # One of the sla document's calendars: its tickets' SLA clocks run on it when their policy
    # names none (tessera.sla.policies.SlaConfig.calendar_for).
    calendar: str | None = None


class Directory(Protocol):
    """What routing needs to know about groups and agents."""

    def group(self, name: str) -> Group | None: ...

    def members(self, group: str) -> Sequence[Agent]: ...

    def tiers(self, group: str) -> Sequence[str]:
        """The escalation chain ``group`` belongs to, tier 1 first."""
        ...


@dataclass(frozen=True)
class ConfigDirectory:
    """The directory as the ``groups`` document describes it."""

    groups: Mapping[str, Group]
    agents: tuple[Agent, ...]

    def group(self, name: str) -> Group | None:
        return self.groups.get(name)

    def members(self, group: str) -> Sequence[Agent]:
        return [a for a in self.agents if group in a.groups]

    def tiers(self, group: str) -> Sequence[str]:
        if group not in self.groups:
            return [group]
        lower = {g.escalates_to: g.name for g in self.groups.values() if g.escalates_to}
        first = group
        while first in lower:
            first = lower[first]
        chain = [first]
        while (after := self.groups[chain[-1]].escalates_to) is not None:
            chain.append(after)
        return chain

    def agent(self, email: str) -> Agent | None:
        return next((a for a in self.agents if a.email == email), None)

    def with_statuses(self, statuses: Mapping[str, str]) -> ConfigDirectory:
        """The directory with each listed agent's status replaced: what agents set for
        themselves (``PATCH /api/me``, tessera.workspace.settings) wins over the config's."""
        agents = tuple(
            dataclasses.replace(a, status=statuses[a.email]) if a.email in statuses else a
            for a in self.agents
        )
        return dataclasses.replace(self, agents=agents)

    def tier_group(self, group: str, tier: int) -> str | None:
        """The group at ``tier`` (1-based) in ``group``'s escalation chain."""
        chain = self.tiers(group)
        return chain[tier - 1] if 0 < tier <= len(chain) else None


def parse_groups(doc: Document) -> ConfigDirectory:
    doc.mapping((), required=["groups"], optional=["agents"])
    groups: dict[str, Group] = {}
    for i, _ in enumerate(doc.sequence(("groups",))):
        path: Path = ("groups", i)
        entry = doc.mapping(
            path, required=["name"], optional=["strategy", "escalates_to", "calendar"]
        )
        name = doc.string((*path, "name")).strip()
        if name in groups:
            raise doc.error((*path, "name"), f"group {name} is listed twice")
        groups[name] = Group(
            name=name,
            strategy=(
                doc.string((*path, "strategy"), choices=STRATEGIES)
                if "strategy" in entry
                else "round-robin"
            ),
            escalates_to=doc.string((*path, "escalates_to")) if "escalates_to" in entry else None,
            calendar=doc.string((*path, "calendar")).strip() if "calendar" in entry else None,
        )
    for i, group in enumerate(groups.values()):
        path = ("groups", i, "escalates_to")
        if group.escalates_to is not None and group.escalates_to not in groups:
            raise doc.error(path, f"no group named {group.escalates_to}")
        seen, current = {group.name}, group.escalates_to
        while current is not None:
            if current in seen:
                raise doc.error(path, "the escalation order goes round in a circle")
            seen.add(current)
            current = groups[current].escalates_to
        targets = [g.name for g in groups.values() if g.escalates_to == group.escalates_to]
        if group.escalates_to is not None and len(targets) > 1:
            raise doc.error(path, f"{', '.join(targets)} all escalate to {group.escalates_to}")
    agents: list[Agent] = []
    emails: set[str] = set()
    top = doc.at(())
    for i, _ in enumerate(doc.sequence(("agents",)) if "agents" in top else []):
        agent = _agent(doc, ("agents", i), groups)
        if agent.email in emails:
            raise doc.error(("agents", i, "email"), f"{agent.email} is listed twice")
        emails.add(agent.email)
        agents.append(agent)
    return ConfigDirectory(groups, tuple(agents))


def _agent(doc: Document, path: Path, groups: Mapping[str, Group]) -> Agent:
    entry = doc.mapping(
        path,
        required=["email", "groups"],
        optional=["skills", "languages", "capacity", "timezone", "hours", "status"],
    )
    email = doc.string((*path, "email")).strip().lower()
    if "@" not in email:
        raise doc.error((*path, "email"), "must be an email address")
    member_of = _names(doc, (*path, "groups"))
    for j, group in enumerate(member_of):
        if group not in groups:
            raise doc.error((*path, "groups", j), f"no group named {group}")
    capacity = entry.get("capacity", DEFAULT_CAPACITY)
    if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
        raise doc.error((*path, "capacity"), f"must be a whole number >= 1, not {capacity!r}")
    timezone = doc.string((*path, "timezone")) if "timezone" in entry else "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise doc.error((*path, "timezone"), f"unknown time zone {timezone}") from None
    return Agent(
        email=email,
        groups=frozenset(member_of),
        skills=frozenset(s.lower() for s in _names(doc, (*path, "skills")))
        if "skills" in entry
        else frozenset(),
        languages=frozenset(s.lower() for s in _names(doc, (*path, "languages")))
        if "languages" in entry
        else frozenset(),
        capacity=capacity,
        timezone=timezone,
        hours=_hours(doc, (*path, "hours")) if "hours" in entry else None,
        status=doc.string((*path, "status"), choices=STATUSES)
        if "status" in entry
        else "available",
    )


def _names(doc: Document, path: Path) -> list[str]:
    values = doc.sequence(path)
    return [doc.string((*path, i)).strip() for i, _ in enumerate(values)]


def _hours(doc: Document, path: Path) -> Hours:
    entry = doc.mapping(path, required=["between"], optional=["days"])
    bounds = doc.sequence((*path, "between"))
    if len(bounds) != 2:
        raise doc.error((*path, "between"), 'must be two times, e.g. ["09:00", "17:00"]')
    start, end = (_clock(doc, (*path, "between", i)) for i in range(2))
    days = _names(doc, (*path, "days")) if "days" in entry else list(DAYS[:5])
    for i, day in enumerate(days):
        if day not in DAYS:
            raise doc.error((*path, "days", i), f"must be one of {', '.join(DAYS)}")
    return Hours(frozenset(DAYS.index(d) for d in days), start, end)


def _clock(doc: Document, path: Path) -> time:
    value = doc.at(path)
    if not isinstance(value, str):
        raise doc.error(path, f"must be a time like 09:00, not {type_name(value)}")
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise doc.error(path, "must be a time like 09:00") from None

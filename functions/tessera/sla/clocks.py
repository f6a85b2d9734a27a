"""SLA clocks: what each ticket owes and by when, recomputed on every change.

A ticket carries its SLA state in ``Ticket.sla`` (JSON-ready, see :class:`SlaState`) and its next
timer in ``Ticket.due_at``/``due_what`` (the sparse DueTimers index). :func:`refresh` is the one
entry point the use cases call whenever a ticket changes or gets a message; it returns the audit
events to save with the ticket. Everything below it is pure.

The four targets (docs/sla.md has the full story):

- ``first_response``: from creation to the first public agent reply.
- ``next_reply``: from a customer message (once the first response is given) to the next public
  agent reply; further customer messages meanwhile do not restart it.
- ``periodic_update``: from each public agent reply to the next one, until solved.
- ``resolution``: from creation to solved; reopening resumes it where it stopped.

A clock measures *used* time: business time of its calendar (or real time for a target in
calendar hours) while it runs. Statuses the policy lists under ``pause`` stop it; leaving them
resumes it. A priority, group or policy change recomputes every running clock: the time used so
far stays, the goal and calendar become the new policy's. Stopping a clock writes a
:class:`Record`: achieved or breached, and by how much.

Each running clock has a next level: 0 the warning (at ``warn_at`` of the goal), 1 the breach,
2.. re-escalations every ``repeat_every`` after it. The earliest of those instants over all clocks,
and of the scheduled automations, is the ticket's ``due_at``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from tessera.errors import ConfigurationError
from tessera.ports import Dependencies
from tessera.sla.policies import TARGETS, Policy, SlaConfig, Target
from tessera.tickets.model import Event, Status, Ticket

Trigger = Literal["created", "customer_message", "agent_reply", "changed"]
SYSTEM = "system:sla"
AUTOMATIONS = ("pending_reminder", "pending_close", "solved_close", "csat_survey")
_STOPPED = {Status.SOLVED.value, Status.CLOSED.value}


class Meter(Protocol):
    def add(self, start: datetime, duration: timedelta) -> datetime: ...

    def between(self, start: datetime, end: datetime) -> timedelta: ...


class RealTime:
    """Calendar hours: every hour counts."""

    def add(self, start: datetime, duration: timedelta) -> datetime:
        return start + duration

    def between(self, start: datetime, end: datetime) -> timedelta:
        return max(end - start, timedelta(0))


REAL_TIME = RealTime()


# ------------------------------------------------------------------------------------ state


def _t(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _us(value: timedelta) -> int:
    return value // timedelta(microseconds=1)


@dataclass
class Clock:
    target: str
    cycle: int
    started_at: datetime
    goal: timedelta
    business: bool
    calendar: str
    warn_at: float | None = None
    used: timedelta = timedelta(0)  # up to running_since (or in total while paused)
    running_since: datetime | None = None  # None: paused
    next_level: int = 0

    def meter(self, config: SlaConfig) -> Meter:
        if not self.business:
            return REAL_TIME
        return config.calendars.get(self.calendar) or config.calendars[config.default_calendar]

    def used_at(self, now: datetime, config: SlaConfig) -> timedelta:
        if self.running_since is None:
            return self.used
        return self.used + self.meter(config).between(self.running_since, now)

    def settle(self, now: datetime, config: SlaConfig) -> None:
        """Fold the time used since ``running_since`` into ``used`` (the clock keeps running)."""
        if self.running_since is not None:
            self.used = self.used_at(now, config)
            self.running_since = max(now, self.running_since)

    def threshold(self, level: int, config: SlaConfig) -> timedelta | None:
        """The used time at which ``level`` falls due (None: no such level)."""
        if level == 0:
            return self.goal * self.warn_at if self.warn_at else None
        if level == 1:
            return self.goal
        repeat = config.escalation.repeat_every
        if repeat is None or level > config.escalation.levels():
            return None
        return self.goal + repeat * (level - 1)

    def level_due(self, config: SlaConfig) -> tuple[int, datetime] | None:
        """The next level and when it falls due, if the clock runs."""
        if self.running_since is None:
            return None
        level = self.next_level
        threshold = self.threshold(level, config)
        if threshold is None and level == 0:
            level, threshold = 1, self.goal
        if threshold is None:
            return None
        remaining = max(threshold - self.used, timedelta(0))
        return level, self.meter(config).add(self.running_since, remaining)

    def dump(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "cycle": self.cycle,
            "started_at": _t(self.started_at),
            "goal_us": _us(self.goal),
            "business": self.business,
            "calendar": self.calendar,
            "warn_at": self.warn_at,
            "used_us": _us(self.used),
            "running_since": _t(self.running_since),
            "next_level": self.next_level,
        }

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> Clock:
        started = _dt(data["started_at"])
        assert started is not None
        return cls(
            target=data["target"],
            cycle=int(data["cycle"]),
            started_at=started,
            goal=timedelta(microseconds=int(data["goal_us"])),
            business=bool(data["business"]),
            calendar=data["calendar"],
            warn_at=data.get("warn_at"),
            used=timedelta(microseconds=int(data["used_us"])),
            running_since=_dt(data.get("running_since")),
            next_level=int(data.get("next_level", 0)),
        )


@dataclass(frozen=True)
class Record:
    """How one target of one cycle ended: for reports (achieved or breached, by how much)."""

    target: str
    cycle: int
    outcome: Literal["achieved", "breached", "cancelled"]
    started_at: datetime
    stopped_at: datetime
    goal: timedelta
    used: timedelta  # business time (calendar time for a target in calendar hours)
    business: bool
    policy: str
    calendar: str

    @property
    def over(self) -> timedelta:
        """By how much the goal was missed (zero when achieved)."""
        return max(self.used - self.goal, timedelta(0))

    def dump(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "cycle": self.cycle,
            "outcome": self.outcome,
            "started_at": _t(self.started_at),
            "stopped_at": _t(self.stopped_at),
            "goal_us": _us(self.goal),
            "used_us": _us(self.used),
            "business": self.business,
            "policy": self.policy,
            "calendar": self.calendar,
        }

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> Record:
        started, stopped = _dt(data["started_at"]), _dt(data["stopped_at"])
        assert started is not None
        assert stopped is not None
        return cls(
            target=data["target"],
            cycle=int(data["cycle"]),
            outcome=data["outcome"],
            started_at=started,
            stopped_at=stopped,
            goal=timedelta(microseconds=int(data["goal_us"])),
            used=timedelta(microseconds=int(data["used_us"])),
            business=bool(data["business"]),
            policy=data["policy"],
            calendar=data["calendar"],
        )


@dataclass(frozen=True)
class Scheduled:
    """A time-based automation waiting on the timer index."""

    kind: str  # one of AUTOMATIONS
    due_at: datetime
    seq: int

    @property
    def what(self) -> str:
        return f"auto-{self.kind}-{self.seq}"


@dataclass
class SlaState:
    policy: str | None = None
    priority: str | None = None
    group: str | None = None
    status: str | None = None  # the status last seen; None before the first refresh
    replied: bool = False  # an agent has replied publicly (next_reply clocks may start)
    clocks: dict[str, Clock] = field(default_factory=dict)
    cycles: dict[str, int] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    automations: list[Scheduled] = field(default_factory=list)
    seq: int = 0

    def dump(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "priority": self.priority,
            "group": self.group,
            "status": self.status,
            "replied": self.replied,
            "clocks": {name: clock.dump() for name, clock in self.clocks.items()},
            "cycles": dict(self.cycles),
            "records": [r.dump() for r in self.records],
            "automations": [
                {"kind": a.kind, "due_at": _t(a.due_at), "seq": a.seq} for a in self.automations
            ],
            "seq": self.seq,
        }

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> SlaState:
        automations = []
        for a in data.get("automations", []):
            due = _dt(a["due_at"])
            assert due is not None
            automations.append(Scheduled(a["kind"], due, int(a["seq"])))
        return cls(
            policy=data.get("policy"),
            priority=data.get("priority"),
            group=data.get("group"),
            status=data.get("status"),
            replied=bool(data.get("replied", False)),
            clocks={n: Clock.load(c) for n, c in data.get("clocks", {}).items()},
            cycles={k: int(v) for k, v in data.get("cycles", {}).items()},
            records=[Record.load(r) for r in data.get("records", [])],
            automations=automations,
            seq=int(data.get("seq", 0)),
        )

    def next_timer(self, config: SlaConfig) -> tuple[datetime, str] | None:
        """The earliest timer over the running clocks and the automations, and its name."""
        timers: list[tuple[datetime, str]] = []
        for clock in self.clocks.values():
            due = clock.level_due(config)
            if due is not None:
                level, at = due
                timers.append((at, f"{clock.target}-{clock.cycle}-{level}"))
        timers += [(a.due_at, a.what) for a in self.automations]
        return min(timers) if timers else None


# ------------------------------------------------------------------------------- the engine


class _Run:
    """One refresh of one ticket's state: applies the trigger and the ticket's changes."""

    def __init__(self, state: SlaState, ticket: Ticket, config: SlaConfig, now: datetime) -> None:
        self.state, self.ticket, self.config, self.now = state, ticket, config, now
        self.policy = config.policy_for(ticket)
        self.events: list[Event] = []

    @property
    def actor(self) -> str:
        return f"policy:{self.policy.name}" if self.policy else SYSTEM

    def event(self, action: str, reason: str, **changes: tuple[Any, Any]) -> None:
        self.events.append(
            Event(
                ticket_id=self.ticket.id,
                actor=self.actor,
                action=action,
                reason=reason,
                changes=changes,
                at=self.now,
            )
        )

    # -- clocks ---------------------------------------------------------------------------------
    def target(self, name: str) -> Target | None:
        return self.policy.target(self.ticket.priority, name) if self.policy else None

    def calendar_name(self) -> str:
        assert self.policy is not None
        return self.config.calendar_for(self.policy, self.ticket).name

    def start(self, name: str, at: datetime, *, used: timedelta = timedelta(0)) -> None:
        target = self.target(name)
        if target is None or self.state.status in _STOPPED:
            return
        # Every start, a resume too, is a new cycle: timers and escalations are named after it,
        # so one that fired before is never confused with this one.
        cycle = self.state.cycles.get(name, 0) + 1
        self.state.cycles[name] = cycle
        clock = Clock(
            target=name,
            cycle=cycle,
            started_at=at,
            goal=target.within,
            business=target.business,
            calendar=self.calendar_name(),
            warn_at=target.warn_at,
            used=used,
            running_since=at,
        )
        self.state.clocks[name] = clock
        due = clock.level_due(self.config)
        self.event(
            "sla.started" if not used else "sla.resumed",
            f"{name} {'resumed' if used else 'started'}: {_hours(target.within)} "
            f"{'business' if target.business else 'calendar'} hours"
            f" ({_hours(used)} used), policy {self.policy.name if self.policy else '-'}",
            **{f"sla.{name}.due_at": (None, _t(due[1]) if due else None)},
        )

    def stop(self, name: str, *, cancelled: bool = False) -> Record | None:
        clock = self.state.clocks.pop(name, None)
        if clock is None:
            return None
        used = clock.used_at(self.now, self.config)
        outcome: Literal["achieved", "breached", "cancelled"] = (
            "cancelled" if cancelled else "achieved" if used <= clock.goal else "breached"
        )
        record = Record(
            target=name,
            cycle=clock.cycle,
            outcome=outcome,
            started_at=clock.started_at,
            stopped_at=self.now,
            goal=clock.goal,
            used=used,
            business=clock.business,
            policy=self.state.policy or "-",
            calendar=clock.calendar,
        )
        self.state.records.append(record)
        how = f", {_hours(record.over)} over" if outcome == "breached" else ""
        self.event(
            f"sla.{outcome}",
            f"{name} {outcome}: {_hours(used)} of {_hours(clock.goal)} "
            f"{'business' if clock.business else 'calendar'} hours used{how}",
            **{f"sla.{name}.outcome": (None, outcome)},
        )
        return record

    def recompute(self, why: str) -> None:
        """The policy, priority or calendar changed: keep what was used, take the new goal."""
        for name, clock in list(self.state.clocks.items()):
            target = self.target(name)
            if target is None:
                self.stop(name, cancelled=True)
                continue
            clock.settle(self.now, self.config)
            old_due = clock.level_due(self.config)
            clock.goal, clock.business, clock.warn_at = (
                target.within,
                target.business,
                target.warn_at,
            )
            # next_level stays: a level that fired never fires again in this cycle, and one
            # that the new goal puts in the past falls due now.
            clock.calendar = self.calendar_name()
            new_due = clock.level_due(self.config)
            self.event(
                "sla.recomputed",
                f"{name}: {why}; goal now {_hours(clock.goal)}, {_hours(clock.used)} used",
                **{
                    f"sla.{name}.due_at": (
                        _t(old_due[1]) if old_due else None,
                        _t(new_due[1]) if new_due else None,
                    )
                },
            )

    def apply_pauses(self) -> None:
        paused = self.policy.pause.get(self.ticket.status.value, frozenset()) if self.policy else ()
        for name, clock in self.state.clocks.items():
            if name in paused and clock.running_since is not None:
                clock.settle(self.now, self.config)
                clock.running_since = None
                self.event(
                    "sla.paused",
                    f"{name} paused while {self.ticket.status.value} ({_hours(clock.used)} used)",
                )
            elif name not in paused and clock.running_since is None:
                clock.running_since = self.now
                self.event("sla.resumed", f"{name} resumed ({self.ticket.status.value})")

    # -- automations ---------------------------------------------------------------------------
    def schedule(self, kind: str, after: timedelta | None, reason: str) -> None:
        if after is None:
            return
        self.state.seq += 1
        item = Scheduled(kind, self.now + after, self.state.seq)
        self.state.automations.append(item)
        self.events.append(
            Event(
                ticket_id=self.ticket.id,
                actor=SYSTEM,
                action="automation.scheduled",
                reason=f"{kind} at {_t(item.due_at)}: {reason}",
                at=self.now,
            )
        )

    def cancel_automations(self, kinds: set[str], reason: str) -> None:
        cancelled = [a for a in self.state.automations if a.kind in kinds]
        if cancelled:
            self.state.automations = [a for a in self.state.automations if a.kind not in kinds]
            names = ", ".join(a.kind for a in cancelled)
            self.events.append(
                Event(
                    ticket_id=self.ticket.id,
                    actor=SYSTEM,
                    action="automation.cancelled",
                    reason=f"{names}: {reason}",
                    at=self.now,
                )
            )

    # -- the run ----------------------------------------------------------------------------
    def run(self, trigger: Trigger) -> list[Event]:
        state, ticket = self.state, self.ticket
        status = ticket.status.value
        new_policy = self.policy.name if self.policy else None
        if state.status is None:
            state.status, state.policy = status, new_policy
            state.priority, state.group = ticket.priority.value, ticket.group
            if status not in _STOPPED:
                self.start("first_response", ticket.created_at)
                self.start("resolution", ticket.created_at)
        else:
            changed = [
                f"{what} {old or '-'} -> {new or '-'}"
                for what, old, new in (
                    ("policy", state.policy, new_policy),
                    ("priority", state.priority, ticket.priority.value),
                    ("group", state.group, ticket.group),
                )
                if old != new
            ]
            state.policy, state.priority, state.group = (
                new_policy,
                ticket.priority.value,
                ticket.group,
            )
            if changed:
                self.recompute(", ".join(changed))

        # A reply stops its clocks before a status change made with it (a reply that solves
        # achieves the first response); clocks start after it (a reply that reopens starts one).
        if trigger == "agent_reply":
            state.replied = True
            self.stop("first_response")
            self.stop("next_reply")
            self.stop("periodic_update")
        old = state.status
        if old != status:
            self.transition(old, status)
            state.status = status
        if trigger == "agent_reply":
            self.start("periodic_update", self.now)
        elif trigger == "customer_message" and state.replied and "next_reply" not in state.clocks:
            self.start("next_reply", self.now)
        self.apply_pauses()
        return self.events

    def transition(self, old: str, new: str) -> None:
        automations = self.config.automations
        if old == Status.PENDING.value:
            self.cancel_automations(
                {"pending_reminder", "pending_close"}, f"no longer pending ({new})"
            )
        if old == Status.SOLVED.value and new != Status.CLOSED.value:
            self.cancel_automations({"solved_close", "csat_survey"}, f"reopened ({new})")
            last = next((r for r in reversed(self.state.records) if r.target == "resolution"), None)
            if last is not None:
                self.state.records.remove(last)
                self.state.status = new
                self.start("resolution", self.now, used=last.used)
        if new == Status.SOLVED.value:
            self.stop("resolution")
            for name in TARGETS:
                self.stop(name, cancelled=True)
            if automations.csat_survey_on_solve:
                self.schedule("csat_survey", timedelta(0), "survey on solve")
            self.schedule("solved_close", automations.solved_close_after, "close solved tickets")
        elif new == Status.CLOSED.value:
            self.stop("resolution")
            for name in TARGETS:
                self.stop(name, cancelled=True)
            self.cancel_automations(set(AUTOMATIONS), "closed")
        elif new == Status.PENDING.value:
            if automations.pending_reminder_after is not None:
                self.schedule(
                    "pending_reminder", automations.pending_reminder_after, "pending reminder"
                )
            elif automations.pending_close_after is not None:
                self.schedule("pending_close", automations.pending_close_after, "pending close")


def _hours(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if s else f"{h}:{m:02d}"


# ------------------------------------------------------------------------------- public API


def advance(
    ticket: Ticket, config: SlaConfig | None, *, trigger: Trigger, now: datetime
) -> list[Event]:
    """Pure: apply ``trigger`` and the ticket's current fields to its SLA state; set
    ``ticket.sla``, ``ticket.due_at`` and ``ticket.due_what``; return the audit events."""
    if config is None:
        ticket.due_at = ticket.due_what = None
        return []
    state = SlaState.load(ticket.sla)
    events = _Run(state, ticket, config, now).run(trigger)
    store(ticket, state, config)
    return events


def store(ticket: Ticket, state: SlaState, config: SlaConfig) -> None:
    breach = _next_breach(state, config)
    ticket.sla = {**state.dump(), "breach_at": _t(breach)}
    timer = state.next_timer(config)
    ticket.due_at, ticket.due_what = timer if timer else (None, None)


def _next_breach(state: SlaState, config: SlaConfig) -> datetime | None:
    """When the earliest running target is breached: where its used time reaches the goal. A
    target already over its goal has no exact instant without walking its calendar backwards;
    it was over by the time it last ran from (``running_since``), which is what it gets."""
    instants = []
    for clock in state.clocks.values():
        if clock.running_since is None:
            continue
        remaining = clock.goal - clock.used
        if remaining > timedelta(0):
            instants.append(clock.meter(config).add(clock.running_since, remaining))
        else:
            instants.append(clock.running_since)
    return min(instants, default=None)


def next_breach(ticket: Ticket) -> datetime | None:
    """When the ticket's earliest *running* SLA target is (or was) breached; None when no
    target runs (none applies, all are paused, or the ticket is solved). The agents' views
    list and count tickets by it (docs/data-model.md, SlaDue)."""
    return _dt(ticket.sla.get("breach_at"))


def refresh(deps: Dependencies, ticket: Ticket, *, trigger: Trigger, now: datetime) -> list[Event]:
    """Recompute ``ticket``'s SLA clocks, deadlines and next due timer after a change.

    Call it whenever a ticket is created, gets a message or changes (status, priority, group,
    tags, ...), *before* saving it, and save the returned events with it::

        events += sla.clocks.refresh(deps, ticket, trigger="agent_reply", now=utcnow())
        deps.tickets.add_message(ticket, reply, events)

    ``trigger``: ``created`` (a new ticket), ``customer_message`` (the requester wrote),
    ``agent_reply`` (a public agent reply; internal notes are ``changed``), ``changed``
    (anything else). Idempotent for ``changed``: calling it when nothing changed changes nothing.
    """
    return advance(ticket, applied(deps), trigger=trigger, now=now)


def applied(deps: Dependencies) -> SlaConfig | None:
    """The applied ``sla`` document with each group's ``calendar`` from the ``groups``
    document (see :meth:`SlaConfig.with_group_calendars`), or None when none is applied. Every
    reader of the SLA configuration takes it from here."""
    config: SlaConfig | None = deps.config().get("sla")
    if config is None:
        return config
    try:
        directory = deps.config().get("groups")
    except ConfigurationError:
        # A broken groups document stops assignment (which reports it on the ticket's trail),
        # never the clocks: they run on the sla document's own calendars meanwhile.
        return config
    if directory is None:
        return config
    return config.with_group_calendars({g.name: g.calendar for g in directory.groups.values()})


def policy_of(config: SlaConfig, ticket: Ticket) -> Policy | None:
    return config.policy_for(ticket)


@dataclass(frozen=True)
class Standing:
    """Where one target of a ticket stands now, for the agent's SLA panel."""

    target: str
    policy: str | None
    calendar: str
    business: bool
    goal: timedelta
    used: timedelta
    paused: bool
    breached: bool
    warning_at: datetime | None  # when the warning falls (running, not yet reached), else None
    due_at: datetime | None  # when the goal is reached (running, not yet breached), else None


def standings(ticket: Ticket, config: SlaConfig | None, now: datetime) -> list[Standing]:
    """Pure: every running or paused target of ``ticket``, in the order of :data:`TARGETS`:
    used time, goal, and the instants (business time added on the target's calendar) at which
    it warns and breaches if nothing changes."""
    if config is None or not ticket.sla:
        return []
    state = SlaState.load(ticket.sla)
    found: list[Standing] = []
    order = {name: i for i, name in enumerate(TARGETS)}
    for clock in sorted(state.clocks.values(), key=lambda c: order.get(c.target, 99)):
        used = clock.used_at(now, config)
        running = clock.running_since is not None
        meter = clock.meter(config)
        reach = [
            meter.add(now, threshold - used)
            if running and threshold is not None and used < threshold
            else None
            for threshold in (clock.threshold(0, config), clock.goal)
        ]
        found.append(
            Standing(
                target=clock.target,
                policy=state.policy,
                calendar=clock.calendar if clock.business else "calendar hours",
                business=clock.business,
                goal=clock.goal,
                used=used,
                paused=not running,
                breached=used >= clock.goal,
                warning_at=reach[0],
                due_at=reach[1],
            )
        )
    return found

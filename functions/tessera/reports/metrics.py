"""What one ticket contributes to the reports, computed from its whole thread.

A ticket's numbers are a pure function of its thread (the ticket, its messages, its audit
events): :func:`facts` reads the thread once, :func:`contributions` turns the facts into counter
increments per UTC hour and dimension value, plus the few listed documents (CSAT comments, the
tickets behind a number). Storage keeps, per ticket, the contributions it has applied; a change
applies the difference (tessera.reports.aggregates). The definitions are in docs/reports.md.

A ticket's numbers belong to its current dimension values (a ticket moved from ``billing`` to
``tech`` counts under ``tech`` only), and each number to the hour its moment falls in: created
at creation, first response at the first public agent reply, resolution, first-contact
resolution and replies when it was last solved, a reopen when it was reopened, CSAT when it was
(last) rated, an SLA target when its clock stopped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tessera.ports import Thread
from tessera.reports import histogram
from tessera.sla.clocks import Meter, SlaState, policy_of
from tessera.sla.policies import SlaConfig
from tessera.tickets.model import Message, MessageKind, Status, Ticket, speaker

# The dimensions every number is kept by (the summary's group_by values).
DIMENSIONS = (
    "agent",
    "group",
    "channel",
    "customer",
    "priority",
    "language",
    "tag",
    "mailbox",
    "domain",
)
# A ticket has several values of these (a row per tag: a ticket tagged a and b counts in both);
# stored space-separated in the listed documents.
MULTI_VALUED = frozenset({"tag"})
MAX_TAGS = 5  # the tags one ticket counts under (the first ones in name order)
NONE = "-"  # the value of a dimension a ticket has none of (no agent, no group)
# The durations kept as histograms: calendar time and, with a "b", business time.
DURATIONS = ("fr", "frb", "nr", "nrb", "res", "resb", "asg")
# Distinct hours one ticket counts in (more are folded into its latest): hours x counter items
# per hour (8 single dimensions + MAX_TAGS) + 4 documents stay within one transaction.
MAX_HOURS = 6
SOLVED = frozenset({Status.SOLVED.value, Status.CLOSED.value})
MAX_COMMENT = 500


def hour_of(at: datetime) -> str:
    """The UTC hour a moment falls in, as the aggregates are keyed: ``2026-11-03T14``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H")


def values_of(dimensions: Mapping[str, Any], dimension: str) -> tuple[str, ...]:
    """The values a ticket has of one dimension (several for a multi-valued one)."""
    value = str(dimensions.get(dimension) or NONE)
    return tuple(value.split(" ")) if dimension in MULTI_VALUED else (value,)


def domain_of(address: str) -> str:
    """The requester's domain (``acme.test`` of ``dana@acme.test``); ``-`` without one."""
    _, at, domain = address.rpartition("@")
    return domain.lower() if at and domain else NONE


@dataclass(frozen=True)
class Rating:
    score: int
    comment: str
    at: datetime


@dataclass(frozen=True)
class NextReply:
    """A customer's message after the first response, and the staff reply that answered it."""

    asked_at: datetime
    replied_at: datetime
    business: timedelta | None = None


@dataclass(frozen=True)
class SlaOutcome:
    target: str
    attained: bool
    at: datetime


@dataclass(frozen=True)
class Facts:
    """What the reports know of one ticket."""

    ticket_id: str
    number: int
    dimensions: Mapping[str, str]
    created_at: datetime
    first_response_at: datetime | None = None
    first_response_business: timedelta | None = None
    next_replies: tuple[NextReply, ...] = ()
    assigned_at: datetime | None = None
    solved_at: datetime | None = None  # when it was last solved (or closed), not by a merge
    resolution_business: timedelta | None = None
    merged: bool = False
    reopens: tuple[datetime, ...] = ()
    public_replies: int = 0  # public agent replies
    rating: Rating | None = None
    sla: tuple[SlaOutcome, ...] = ()

    @property
    def first_contact_resolution(self) -> bool:
        return self.solved_at is not None and self.public_replies == 1 and not self.reopens


def business_meter(config: SlaConfig | None, ticket: Ticket) -> Meter | None:
    """The business-hours calendar of the ticket's SLA policy (or of its group, or the default
    one); None without an SLA configuration."""
    if config is None:
        return None
    policy = policy_of(config, ticket)
    if policy is not None:
        return config.calendar_for(policy, ticket)
    name = config.group_calendars.get(ticket.group or "") or config.default_calendar
    return config.calendars.get(name)


def _status_changes(thread: Thread) -> list[tuple[datetime, str | None, str]]:
    changes = []
    for event in sorted(thread.events, key=lambda e: (e.at, e.id)):
        change = event.changes.get("status")
        if change is not None:
            old, new = change
            changes.append((event.at, old, str(new)))
    return changes


def _next_replies(
    ticket: Ticket, messages: list[Message], meter: Meter | None
) -> tuple[NextReply, ...]:
    """After the first public staff reply: each time the customer (requester or participant)
    wrote publicly, from their first unanswered message to the next public staff reply."""
    found: list[NextReply] = []
    answered_once = False
    asked: datetime | None = None
    for message in messages:
        if message.kind is not MessageKind.PUBLIC:
            continue
        who = speaker(ticket, message)
        if who == "agent":
            if asked is not None:
                business = meter.between(asked, message.created_at) if meter else None
                found.append(NextReply(asked, message.created_at, business))
            answered_once, asked = True, None
        elif who in ("requester", "participant") and answered_once and asked is None:
            asked = message.created_at
    return tuple(found)


def facts(thread: Thread, config: SlaConfig | None = None) -> Facts:
    """The facts of one ticket, from its thread (and the SLA calendars, for business time)."""
    ticket = thread.ticket
    events = sorted(thread.events, key=lambda e: (e.at, e.id))
    merged = any("merged_into" in e.changes for e in events)
    # The opening message is the request, even when staff wrote it down for a caller.
    thread_messages = sorted(thread.messages, key=lambda m: (m.created_at, m.id))[1:]
    replies = [
        (m.created_at, m.id)
        for m in thread_messages
        if m.kind is MessageKind.PUBLIC and speaker(ticket, m) == "agent"
    ]
    first_response_at = replies[0][0] if replies else None
    meter = business_meter(config, ticket)
    next_replies = _next_replies(ticket, thread_messages, meter)

    solved_at: datetime | None = None
    reopens: list[datetime] = []
    for at, old, new in _status_changes(thread):
        if new in SOLVED and (old not in SOLVED):
            solved_at = at
        elif old in SOLVED and new not in SOLVED:
            reopens.append(at)
            solved_at = None
    if ticket.status.value not in SOLVED or merged:
        solved_at = None

    assigned_at = next(
        (e.at for e in events if "assignee" in e.changes and e.changes["assignee"][1]), None
    )
    rating = None
    for event in events:
        if event.action == "ticket.rated" and "rating" in event.changes:
            score = int(event.changes["rating"][1])
            rating = Rating(score, event.reason[:MAX_COMMENT], event.at)

    sla = tuple(
        SlaOutcome(r.target, r.outcome == "achieved", r.stopped_at)
        for r in SlaState.load(ticket.sla).records
        if r.outcome != "cancelled"
    )
    dimensions = {
        "agent": ticket.assignee or NONE,
        "group": ticket.group or NONE,
        "channel": ticket.channel.value,
        "customer": ticket.requester,
        "priority": ticket.priority.value,
        "language": ticket.language or NONE,
        "tag": " ".join(sorted(ticket.tags)[:MAX_TAGS]) or NONE,
        "mailbox": ticket.mailbox or NONE,
        "domain": domain_of(ticket.requester),
    }
    return Facts(
        ticket_id=ticket.id,
        number=ticket.number,
        dimensions=dimensions,
        created_at=ticket.created_at,
        first_response_at=first_response_at,
        first_response_business=(
            meter.between(ticket.created_at, first_response_at)
            if meter is not None and first_response_at is not None
            else None
        ),
        next_replies=next_replies,
        assigned_at=assigned_at,
        solved_at=solved_at,
        resolution_business=(
            meter.between(ticket.created_at, solved_at)
            if meter is not None and solved_at is not None
            else None
        ),
        merged=merged,
        reopens=tuple(reopens),
        public_replies=len(replies),
        rating=rating,
        sla=sla,
    )


@dataclass
class Contributions:
    """Counter increments per ``<hour>|<dimension>|<value>`` and listed documents per key."""

    counters: dict[str, dict[str, int]] = field(default_factory=dict)
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def dump(self) -> dict[str, Any]:
        return {"counters": self.counters, "docs": self.docs}

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> Contributions:
        return cls(
            counters={k: {a: int(n) for a, n in v.items()} for k, v in data["counters"].items()},
            docs={k: dict(v) for k, v in data["docs"].items()},
        )

    def size(self) -> int:
        return len(self.counters) + len(self.docs)


def _seconds(start: datetime, end: datetime) -> int:
    return max(int((end - start).total_seconds()), 0)


def _duration(counts: dict[str, int], name: str, seconds: int) -> None:
    counts[f"{name}_n"] = counts.get(f"{name}_n", 0) + 1
    counts[f"{name}_sum"] = counts.get(f"{name}_sum", 0) + seconds
    key = f"{name}_h{histogram.bucket(seconds)}"
    counts[key] = counts.get(key, 0) + 1


def _add(per_hour: dict[str, dict[str, int]], at: datetime, **counts: int) -> dict[str, int]:
    bucket = per_hour.setdefault(hour_of(at), {})
    for name, n in counts.items():
        bucket[name] = bucket.get(name, 0) + n
    return bucket


def _fold(per_hour: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """At most MAX_HOURS hours: the first ones as they are, the rest added to the latest."""
    hours = sorted(per_hour)
    if len(hours) <= MAX_HOURS:
        return per_hour
    kept = {h: dict(per_hour[h]) for h in hours[: MAX_HOURS - 1]}
    last: dict[str, int] = {}
    for h in hours[MAX_HOURS - 1 :]:
        for name, n in per_hour[h].items():
            last[name] = last.get(name, 0) + n
    kept[hours[-1]] = last
    return kept


def contributions(f: Facts) -> Contributions:
    """Everything one ticket adds to the reports (see the module's docstring for when)."""
    per_hour: dict[str, dict[str, int]] = {}
    _add(per_hour, f.created_at, created=1)
    if f.merged:
        _add(per_hour, f.created_at, merged=1)
    if f.first_response_at is not None:
        bucket = _add(per_hour, f.first_response_at)
        _duration(bucket, "fr", _seconds(f.created_at, f.first_response_at))
        if f.first_response_business is not None:
            _duration(bucket, "frb", int(f.first_response_business.total_seconds()))
    for nr in f.next_replies:
        bucket = _add(per_hour, nr.replied_at)
        _duration(bucket, "nr", _seconds(nr.asked_at, nr.replied_at))
        if nr.business is not None:
            _duration(bucket, "nrb", int(nr.business.total_seconds()))
    if f.assigned_at is not None:
        _duration(_add(per_hour, f.assigned_at), "asg", _seconds(f.created_at, f.assigned_at))
    if f.solved_at is not None:
        bucket = _add(per_hour, f.solved_at, solved=1, replies=f.public_replies)
        if f.first_contact_resolution:
            bucket["fcr"] = 1
        _duration(bucket, "res", _seconds(f.created_at, f.solved_at))
        if f.resolution_business is not None:
            _duration(bucket, "resb", int(f.resolution_business.total_seconds()))
    for at in f.reopens:
        _add(per_hour, at, reopened=1)
    if f.rating is not None:
        score = f.rating.score
        _add(per_hour, f.rating.at, csat_n=1, csat_sat=int(score >= 4), **{f"csat_{score}": 1})
    for outcome in f.sla:
        _add(per_hour, outcome.at, sla_n=1, sla_ok=int(outcome.attained))

    result = Contributions()
    for hour, counts in _fold(per_hour).items():
        counts = {name: n for name, n in counts.items() if n}
        if not counts:
            continue
        for dimension in DIMENSIONS:
            for value in values_of(f.dimensions, dimension):
                result.counters[f"{hour}|{dimension}|{value}"] = dict(counts)

    listed = {"number": f.number, **{d: f.dimensions[d] for d in DIMENSIONS}}
    result.docs[f"L|created|{hour_of(f.created_at)}|{f.ticket_id}"] = listed
    if f.solved_at is not None:
        result.docs[f"L|solved|{hour_of(f.solved_at)}|{f.ticket_id}"] = listed
    if f.reopens:
        result.docs[f"L|reopened|{hour_of(f.reopens[-1])}|{f.ticket_id}"] = listed
    if f.rating is not None and f.rating.comment.strip():
        result.docs[f"C|{hour_of(f.rating.at)}|{f.ticket_id}"] = {
            **listed,
            "score": f.rating.score,
            "comment": f.rating.comment.strip(),
            "at": f.rating.at.isoformat(),
        }
    return result


def difference(old: Contributions, new: Contributions) -> dict[str, dict[str, int]]:
    """The counter changes that turn what ``old`` added into what ``new`` adds."""
    delta: dict[str, dict[str, int]] = {}
    for key in old.counters.keys() | new.counters.keys():
        before, after = old.counters.get(key, {}), new.counters.get(key, {})
        changed = {
            name: after.get(name, 0) - before.get(name, 0)
            for name in before.keys() | after.keys()
            if after.get(name, 0) != before.get(name, 0)
        }
        if changed:
            delta[key] = changed
    return delta


def ticket_ids(keys: Iterable[Mapping[str, Any]]) -> list[str]:
    """The tickets a batch of the change feed touched, from the changed items' keys (any item
    of a ticket's partition: the ticket, a message, an audit event), each once, in order of
    appearance; items of other partitions are no ticket's."""
    seen: dict[str, None] = {}
    for key in keys:
        pk = str(key.get("pk") or "")
        if pk.startswith("T#") and len(pk) > 2:
            seen.setdefault(pk[2:], None)
    return list(seen)

"""Assignment within a group: who of its agents gets the ticket, race-free.

1. **Who may**: members of the group who are available now (status and working hours in their
   time zone), have every skill the ticket asks for (``skill:<name>`` tags), speak its language
   (when both are known) and are below their capacity of open tickets.
2. **Who is next**: ``round-robin`` — the agent whose last assignment is oldest (by ticket
   number, so a newcomer gets the next ticket, then takes turns); ``least-loaded`` — fewest open
   tickets, round robin among equals; ``queue`` — nobody, agents pick from the queue.
3. **Race-free**: each agent's counters are one item (``open``, ``assigned``, ``last_ticket``);
   the assignment saves the ticket and bumps the counters in one conditional write that holds
   only if the counters are still what the choice was made on and below capacity. A concurrent
   assignment that got there first makes the write fail with Conflict; the step reads again and
   chooses again.

When nobody fits, the ticket stays unassigned in its group's queue, and the audit trail says why
(who was skipped for what).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tessera.errors import Conflict
from tessera.ports import AgentLoads, Load
from tessera.routing.directory import Agent, Directory, Group
from tessera.tickets.model import Event, Ticket

ACTOR = "system:assignment"
SKILL_TAG = "skill:"
ASSIGNED_MEANWHILE = "assigned meanwhile"  # another run of the step assigned it first
ATTEMPTS = 8  # conflicts are retried this often within one step before the step fails


@dataclass(frozen=True)
class Choice:
    """Agents who may take the ticket, best first, and why the others may not."""

    ranked: tuple[Agent, ...]
    skipped: tuple[str, ...]


def required_skills(ticket: Ticket) -> frozenset[str]:
    return frozenset(t.removeprefix(SKILL_TAG) for t in ticket.tags if t.startswith(SKILL_TAG))


def choose(
    group: Group,
    members: Sequence[Agent],
    ticket: Ticket,
    loads: Mapping[str, Load],
    now: datetime,
) -> Choice:
    """Rank the members who may take ``ticket`` now by the group's strategy. Pure."""
    skills = required_skills(ticket)
    language = (ticket.language or "").lower()
    eligible: list[Agent] = []
    skipped: list[str] = []
    for agent in sorted(members, key=lambda a: a.email):
        load = loads.get(agent.email, Load(agent.email))
        why_not = agent.unavailable_because(now)
        if why_not is None and not skills <= agent.skills:
            why_not = f"{agent.email} lacks {', '.join(sorted(skills - agent.skills))}"
        if why_not is None and language and agent.languages and language not in agent.languages:
            why_not = f"{agent.email} does not speak {language}"
        if why_not is None and load.open >= agent.capacity:
            why_not = f"{agent.email} is at capacity ({load.open}/{agent.capacity})"
        if why_not is None:
            eligible.append(agent)
        else:
            skipped.append(why_not)
    if group.strategy == "queue":
        return Choice((), (f"group {group.name} assigns from the queue by hand",))

    def turn(agent: Agent) -> tuple[int, ...]:
        load = loads.get(agent.email, Load(agent.email))
        if group.strategy == "least-loaded":
            return (load.open, load.last_ticket)
        return (load.last_ticket,)

    return Choice(tuple(sorted(eligible, key=turn)), tuple(skipped))


@dataclass(frozen=True)
class Assigned:
    assignee: str | None
    reason: str


def assign(
    tickets_get: _TicketGetter,
    loads: AgentLoads,
    directory: Directory,
    ticket: Ticket,
    now: datetime,
) -> tuple[Ticket, Assigned, Event | None]:
    """Assign ``ticket`` within its group, retrying on a lost race.

    Returns the ticket as stored, the outcome, and the queue event to save when nobody fits
    (the caller saves it; an assignment is saved here, together with the counters).
    """
    for _attempt in range(ATTEMPTS):
        group = directory.group(ticket.group) if ticket.group else None
        if group is None:
            reason = f"group {ticket.group or '(none)'} is not in the groups config: stays queued"
            return ticket, Assigned(None, reason), _queued(ticket, reason)
        current = loads.loads()
        choice = choose(group, directory.members(group.name), ticket, current, now)
        if not choice.ranked:
            why = "; ".join(choice.skipped) or f"group {group.name} has no agents"
            reason = f"nobody in {group.name} can take it now ({why}): stays in the queue"
            return ticket, Assigned(None, reason), _queued(ticket, reason)
        agent = choice.ranked[0]
        seen = current.get(agent.email, Load(agent.email))
        reason = _why(group, agent, seen, choice)
        event = ticket.change(actor=ACTOR, reason=reason, assignee=agent.email)
        try:
            loads.assign(ticket, [event], seen=seen, capacity=agent.capacity)
        except Conflict:
            ticket = tickets_get(ticket.id)  # someone moved first: read both again, choose again
            if ticket.assignee is not None:
                return ticket, Assigned(ticket.assignee, ASSIGNED_MEANWHILE), None
            continue
        return ticket, Assigned(agent.email, reason), None
    raise Conflict(f"ticket {ticket.id}: assignment lost the race {ATTEMPTS} times")


class _TicketGetter(Protocol):
    def __call__(self, ticket_id: str) -> Ticket: ...


def _why(group: Group, agent: Agent, seen: Load, choice: Choice) -> str:
    load = f"{seen.open}/{agent.capacity} open"
    if group.strategy == "least-loaded":
        basis = f"least loaded in {group.name} ({load})"
    else:
        basis = f"round robin in {group.name}: longest since a ticket ({load})"
    skipped = f"; skipped: {'; '.join(choice.skipped)}" if choice.skipped else ""
    return basis + skipped


def _queued(ticket: Ticket, reason: str) -> Event:
    return Event(ticket_id=ticket.id, actor=ACTOR, action="assignment.queued", reason=reason)

"""Dry runs of the rules: what a rule set would decide for one mail or ticket, and what a changed
rule set would have decided differently for the recent tickets. Nothing here writes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tessera.errors import ValidationFailed
from tessera.identity.access import Principal, require_admin
from tessera.mail.parse import ParsedMail
from tessera.ports import Dependencies, TicketRepository
from tessera.routing.rules import Evaluation, Facts, RuleSet, evaluate, facts_for
from tessera.routing.workflow import facts_of
from tessera.tickets.model import Ticket, utcnow
from tessera.tickets.reading import resolve_id


def facts_of_mail(mail: ParsedMail, rule_set: RuleSet | None, now: datetime | None = None) -> Facts:
    """A mail as the rules would see the ticket it opens."""
    return facts_for(
        rule_set,
        mailbox=mail.to[0] if mail.to else None,
        channel="email",
        sender=mail.sender,
        subject=mail.subject,
        body=mail.text,
        language=None,
        priority="normal",
        tags=frozenset(),
        custom_fields={},
        now=now or utcnow(),
    )


def explain(evaluation: Evaluation) -> list[str]:
    """Lines for a person: each rule that fired, why, and what it does; then the outcome."""
    lines = [
        f"rule {f.rule.name} matches: {f.why}\n  -> " + ", ".join(a.describe() for a in f.rule.then)
        for f in evaluation.fired
    ]
    if not lines:
        lines.append("no rule matches")
    if evaluation.stopped_by:
        lines.append(f"(processing stops after {evaluation.stopped_by})")
    return lines


@dataclass(frozen=True)
class Difference:
    ticket: Ticket
    before: dict[str, Any]
    after: dict[str, Any]


def recent_tickets(tickets: TicketRepository, since: datetime) -> Iterator[Ticket]:
    """Tickets created at or after ``since``, newest first (pages of the ByKind index)."""
    cursor: str | None = None
    while True:
        page = tickets.recent(limit=100, cursor=cursor)
        for ticket in page.items:
            if ticket.created_at < since:
                return
            yield ticket
        if page.cursor is None:
            return
        cursor = page.cursor


def simulate(
    tickets: TicketRepository, current: RuleSet | None, changed: RuleSet, since: datetime
) -> tuple[int, list[Difference]]:
    """Replay the tickets since ``since`` against both rule sets; how many were replayed, and
    those the changed rules would have routed differently."""
    differences, count = [], 0
    for ticket in recent_tickets(tickets, since):
        count += 1
        thread = tickets.thread(ticket.id)
        before = (
            evaluate(current, facts_of(thread, current)).summary() if current else {"fired": []}
        )
        after = evaluate(changed, facts_of(thread, changed)).summary()
        if before != after:
            differences.append(Difference(ticket, before, after))
    return count, differences


# ------------------------------------------------------------------ the admin center's dry runs
SIMULATION_CAP = 500  # tickets replayed per simulation: each costs one Query of its thread
MAX_SIMULATION_DAYS = 90


@dataclass(frozen=True)
class Trial:
    """What a rule set decides for one ticket or mail: the explanation lines and the outcome."""

    target: str
    lines: list[str]
    outcome: dict[str, Any]


@dataclass(frozen=True)
class Simulation:
    replayed: int
    capped: bool  # True when the window held more than SIMULATION_CAP tickets
    differences: list[Difference]


def _draft_or_applied(deps: Dependencies, draft: str | None) -> RuleSet:
    from tessera.config.admin import validate_config

    if draft is not None:
        rule_set: RuleSet = validate_config("rules", draft)
        return rule_set
    applied: RuleSet | None = deps.config().get("rules")
    if applied is None:
        raise ValidationFailed("text", "no rules are applied yet: give a draft")
    return applied


def try_rules(
    deps: Dependencies,
    principal: Principal,
    draft: str | None,
    ticket: str,
) -> Trial:
    """``tessera rules test`` for the admin center: a draft (or the applied rules) against one
    stored ticket (id or number), as the mail or form that opened it. Writes nothing."""
    require_admin(principal)
    rule_set = _draft_or_applied(deps, draft)
    thread = deps.tickets.thread(resolve_id(deps, ticket))
    evaluation = evaluate(rule_set, facts_of(thread, rule_set))
    return Trial(f"#{thread.ticket.number}", explain(evaluation), evaluation.summary())


def simulate_draft(
    deps: Dependencies, principal: Principal, draft: str, *, days: int, now: datetime | None = None
) -> Simulation:
    """``tessera rules simulate`` for the admin center: the tickets of the last ``days`` days
    (newest first, through the by-created-date index, at most :data:`SIMULATION_CAP`) that the
    draft would route differently from the applied rules. Writes nothing."""
    require_admin(principal)
    if not 1 <= days <= MAX_SIMULATION_DAYS:
        raise ValidationFailed("days", f"must be 1 to {MAX_SIMULATION_DAYS}")
    changed = _draft_or_applied(deps, draft)
    current: RuleSet | None = deps.config().get("rules")
    since = (now or utcnow()) - timedelta(days=days)
    differences: list[Difference] = []
    replayed = 0
    capped = False
    for ticket in recent_tickets(deps.tickets, since):
        if replayed == SIMULATION_CAP:
            capped = True
            break
        replayed += 1
        thread = deps.tickets.thread(ticket.id)
        before = (
            evaluate(current, facts_of(thread, current)).summary() if current else {"fired": []}
        )
        after = evaluate(changed, facts_of(thread, changed)).summary()
        if before != after:
            differences.append(Difference(ticket, before, after))
    return Simulation(replayed, capped, differences)

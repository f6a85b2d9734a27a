"""Dry runs of the rules: what a rule set would decide for one mail or ticket, and what a changed
rule set would have decided differently for the recent tickets. Nothing here writes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tessera.mail.parse import ParsedMail
from tessera.ports import TicketRepository
from tessera.routing.rules import Evaluation, Facts, RuleSet, evaluate, facts_for
from tessera.routing.workflow import facts_of
from tessera.tickets.model import Ticket, utcnow


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

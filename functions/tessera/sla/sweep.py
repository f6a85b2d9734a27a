"""The every-minute sweep over the due-timer index.

It reads only the due timers (one Query on the sparse DueTimers index, whose projection carries
``due_what``) and starts one escalation execution per timer, named after the ticket and
``due_what`` (target, cycle, level): the next sweep finding the same timer before the execution
has moved it on starts nothing. It never reads a ticket: the execution's first step does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tessera.ports import Dependencies, DueTimer


@dataclass(frozen=True)
class SweepResult:
    due: Sequence[DueTimer]
    started: Sequence[DueTimer]  # the rest had an execution of that name already


def due_timers(deps: Dependencies, now: datetime, *, limit: int = 100) -> Sequence[DueTimer]:
    return deps.tickets.due_timers(now, limit=limit)


def sweep(deps: Dependencies, now: datetime, *, limit: int = 100) -> SweepResult:
    """Start the escalation (or automation) execution of every timer due at ``now``."""
    due = due_timers(deps, now, limit=limit)
    started = [
        timer
        for timer in due
        if timer.what and deps.escalations().start(timer.ticket_id, timer.what, timer.due_at)
    ]
    return SweepResult(due=due, started=started)

"""The every-minute sweep over the due-timer index.

It reads only the due timers (one Query on the sparse DueTimers index, whose projection carries
``due_what``) and starts one escalation execution per SLA timer, named after the ticket and
``due_what`` (target, cycle, level): the next sweep finding the same timer before the execution
has moved it on starts nothing. An automation timer (``auto-...``: remind, close, survey) is one
step, so it runs as one asynchronous invocation instead of a workflow; that step claims the
timer, so the next sweep's repeat does nothing. It never reads a ticket: the first step does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tessera.ports import Dependencies, DueTimer

AUTOMATION_PREFIX = "auto-"  # tessera.sla.escalation.parse_what: auto-<kind>-<seq>


@dataclass(frozen=True)
class SweepResult:
    due: Sequence[DueTimer]
    started: Sequence[DueTimer]  # the rest had an execution of that name already


def due_timers(deps: Dependencies, now: datetime, *, limit: int = 100) -> Sequence[DueTimer]:
    return deps.tickets.due_timers(now, limit=limit)


def sweep(deps: Dependencies, now: datetime, *, limit: int = 100) -> SweepResult:
    """Start the escalation execution (or run the automation) of every timer due at ``now``."""
    due = due_timers(deps, now, limit=limit)
    started = []
    for timer in due:
        if not timer.what:
            continue
        if timer.what.startswith(AUTOMATION_PREFIX):
            deps.automations().run(timer.ticket_id, timer.what)
            started.append(timer)
        elif deps.escalations().start(timer.ticket_id, timer.what, timer.due_at):
            started.append(timer)
    return SweepResult(due=due, started=started)

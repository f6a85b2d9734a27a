"""Where a ticket stands, coarser than its status: the stage the agents' views list by.

Each view of the workspace is one stage (or part of one), so each is one partition of one
index (docs/data-model.md): ``open`` (new or open: work for an agent), ``waiting`` (pending
the customer, or on hold for a third party), ``solved`` and ``closed``.
"""

from __future__ import annotations

from collections.abc import Mapping

from tessera.tickets.model import Status

OPEN, WAITING, SOLVED, CLOSED = "open", "waiting", "solved", "closed"

STAGES: Mapping[Status, str] = {
    Status.NEW: OPEN,
    Status.OPEN: OPEN,
    Status.PENDING: WAITING,
    Status.ON_HOLD: WAITING,
    Status.SOLVED: SOLVED,
    Status.CLOSED: CLOSED,
}


def stage_of(status: Status) -> str:
    """The stage a ticket in ``status`` is listed under."""
    return STAGES[status]


def statuses_of(stage: str) -> frozenset[Status]:
    return frozenset(s for s, st in STAGES.items() if st == stage)

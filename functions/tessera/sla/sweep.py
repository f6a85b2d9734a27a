"""The every-minute sweep over the due-timer index."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tessera.deps import Dependencies
from tessera.ports import DueTimer


def due_timers(deps: Dependencies, now: datetime, *, limit: int = 100) -> Sequence[DueTimer]:
    return deps.tickets.due_timers(now, limit=limit)

"""EventBridge Scheduler, as it invokes the scheduled functions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tessera.tickets.model import utcnow


def scheduled_time(event: dict[str, Any]) -> datetime:
    """The instant the schedule fired for (the event's ``time``), or now without one."""
    stamp = event.get("time")
    if not isinstance(stamp, str):
        return utcnow()
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))

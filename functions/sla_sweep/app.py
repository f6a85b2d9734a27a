"""The every-minute sweep (EventBridge schedule): start an escalation per due timer."""

from __future__ import annotations

from typing import Any

from tessera import bootstrap
from tessera.adapters.scheduler import scheduled_time
from tessera.observability import SWEEP_LAG, count, logger, no_ticket, observed
from tessera.sla.sweep import sweep
from tessera.tickets.model import utcnow


@observed(no_ticket)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Query the due timers (the sparse DueTimers index, never a scan) and start one escalation
    execution per timer; a timer whose execution exists already starts nothing. Emits
    ``SweepLag``: how long the oldest due timer has waited (0 when none is due)."""
    now = scheduled_time(event)
    result = sweep(bootstrap.dependencies(), now)
    oldest = min((d.due_at for d in result.due), default=None)
    lag = max((utcnow() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    count(SWEEP_LAG, lag)
    logger().info(
        "sla sweep",
        extra={
            "due": len(result.due),
            "started": len(result.started),
            "lag_seconds": round(lag, 1),
            "at": now.isoformat(),
        },
    )
    return {
        "due": [
            {"ticket_id": d.ticket_id, "what": d.what, "due_at": d.due_at.isoformat()}
            for d in result.due
        ],
        "started": len(result.started),
    }

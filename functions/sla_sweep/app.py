"""The every-minute sweep (EventBridge schedule): start an escalation per due timer."""

from __future__ import annotations

from typing import Any

from tessera import bootstrap
from tessera.adapters.scheduler import scheduled_time
from tessera.observability import logger
from tessera.sla.sweep import sweep


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Query the due timers (the sparse DueTimers index, never a scan) and start one escalation
    execution per timer; a timer whose execution exists already starts nothing."""
    now = scheduled_time(event)
    result = sweep(bootstrap.dependencies(), now)
    logger().info(
        "sla sweep",
        extra={"due": len(result.due), "started": len(result.started), "at": now.isoformat()},
    )
    return {
        "due": [
            {"ticket_id": d.ticket_id, "what": d.what, "due_at": d.due_at.isoformat()}
            for d in result.due
        ],
        "started": len(result.started),
    }

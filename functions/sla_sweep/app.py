"""The every-minute sweep (EventBridge schedule): start an escalation per due timer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tessera import bootstrap
from tessera.observability import logger
from tessera.sla.sweep import sweep
from tessera.tickets.model import utcnow


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Query the due timers (the sparse DueTimers index, never a scan) and start one escalation
    execution per timer; a timer whose execution exists already starts nothing."""
    now = _event_time(event) or utcnow()
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


def _event_time(event: dict[str, Any]) -> datetime | None:
    stamp = event.get("time")
    if not isinstance(stamp, str):
        return None
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))

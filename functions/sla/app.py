"""The every-minute sweep: read the SLA and automation timers that are due."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tessera import bootstrap
from tessera.observability import logger
from tessera.sla.sweep import due_timers
from tessera.tickets import utcnow


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Find due timers (a Query on the sparse DueTimers index, never a scan).

    Escalation executions per due timer come with the SLA engine; until then the sweep reports
    what is due.
    """
    now = _event_time(event) or utcnow()
    due = due_timers(bootstrap.dependencies(), now)
    logger().info("sla sweep", extra={"due": len(due), "at": now.isoformat()})
    return {"due": [{"ticket_id": d.ticket_id, "due_at": d.due_at.isoformat()} for d in due]}


def _event_time(event: dict[str, Any]) -> datetime | None:
    stamp = event.get("time")
    if not isinstance(stamp, str):
        return None
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))

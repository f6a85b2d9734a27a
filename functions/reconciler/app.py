"""Every five minutes (EventBridge schedule): route again the tickets whose routing never
finished (tessera.routing.reconcile)."""

from __future__ import annotations

from typing import Any

from tessera import bootstrap
from tessera.adapters.scheduler import scheduled_time
from tessera.observability import logger, no_ticket, observed
from tessera.routing.reconcile import reconcile


@observed(no_ticket)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    now = scheduled_time(event)
    result = reconcile(bootstrap.dependencies(), now)
    logger().info(
        "routing reconciled",
        extra={"restarted": result.restarted, "given_up": result.given_up, "at": now.isoformat()},
    )
    return {"restarted": list(result.restarted), "given_up": list(result.given_up)}

"""The reports' side of the tickets table's change feed (a DynamoDB stream event): every ticket
a batch touched is counted again into the per-hour aggregates (tessera.reports.aggregates). An
exception makes Lambda retry the batch (bisected); a replayed batch changes nothing."""

from __future__ import annotations

from typing import Any

from tessera import bootstrap
from tessera.adapters.change_feed import changes
from tessera.observability import logger, no_ticket, observed
from tessera.reports.aggregates import update_from_changes
from tessera.sla import clocks


@observed(no_ticket)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Count again the tickets of the batch's records (ticket, message and audit items alike);
    a replayed batch changes nothing."""
    batch = changes(event)
    deps = bootstrap.dependencies()
    moved = update_from_changes(
        bootstrap.report_aggregates(),
        deps.tickets,
        clocks.applied(deps),
        [change.keys for change in batch],
    )
    logger().info("reports counted", extra={"changes": len(batch), "tickets_moved": moved})
    return {"changes": len(batch), "tickets_moved": moved}

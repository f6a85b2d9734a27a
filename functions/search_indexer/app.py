"""The search indexer: a consumer of the tickets table's change feed (DynamoDB Streams)."""

from __future__ import annotations

from typing import Any

from tessera import bootstrap
from tessera.adapters.change_feed import changes
from tessera.observability import logger, no_ticket, observed
from tessera.search.indexing import refresh, touched_tickets


@observed(no_ticket)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Put the current document of every ticket the batch changed. An exception makes Lambda
    retry the batch (bisected); putting a ticket again is harmless."""
    batch = changes(event)
    ticket_ids = touched_tickets(c.keys for c in batch)
    stats = refresh(bootstrap.dependencies().tickets, bootstrap.search_index(), ticket_ids)
    logger().info(
        "ticket changes",
        extra={
            "changes": len(batch),
            "tickets": stats.tickets,
            "removed": stats.removed,
            "bytes": stats.bytes_written,
        },
    )
    return {"changes": len(batch), "tickets": stats.tickets, "removed": stats.removed}

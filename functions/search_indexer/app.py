"""The search indexer: a consumer of the tickets table's change feed (DynamoDB Streams)."""

from __future__ import annotations

from typing import Any

from tessera.adapters.change_feed import changes
from tessera.observability import logger


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Apply one batch of the table's changes to the search index. An exception makes Lambda
    retry the batch (bisected), so indexing must be idempotent."""
    batch = changes(event)
    logger().info("ticket changes", extra={"changes": len(batch)})
    return {"changes": len(batch)}

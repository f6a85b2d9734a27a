"""A consumer of a table's change feed for tests/integration/test_change_feed.py: it records what
it is given and fails on the keys it is told to."""

from __future__ import annotations

import threading
from typing import Any

received: list[dict[str, Any]] = []
batches: list[int] = []
failures_left: dict[str, int] = {}  # key -> how many more deliveries of it fail (-1: all)
_lock = threading.Lock()


def reset() -> None:
    with _lock:
        received.clear()
        batches.clear()
        failures_left.clear()


def handler(event: dict[str, Any], context: Any) -> None:
    records = event["Records"]
    with _lock:
        for record in records:
            key = record["dynamodb"]["Keys"]["pk"]["S"]
            left = failures_left.get(key, 0)
            if left:
                failures_left[key] = left - 1 if left > 0 else left
                raise RuntimeError(f"cannot handle {key}")
        batches.append(len(records))
        received.extend(records)

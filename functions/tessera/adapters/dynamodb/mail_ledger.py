"""What mail remembers about addresses, in the tickets table (see docs/data-model.md).

``ADDR#<address>`` / ``#BOUNCE``: the address bounces (reason, when). ``ADDR#<address>`` /
``AR#<window start>``: automatic responses sent to it in one fixed window, counted with a
conditional ``ADD`` so concurrent senders cannot pass the cap; ``expires_at`` lets DynamoDB's TTL
remove old windows.
"""

from __future__ import annotations

import time

from tessera.adapters.clients import client
from tessera.adapters.dynamodb.rate_counters import take_in_window
from tessera.tickets.model import utcnow


class DynamoMailLedger:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def mark_bouncing(self, address: str, reason: str) -> None:
        client("dynamodb").put_item(
            TableName=self.table_name,
            Item={
                "pk": {"S": f"ADDR#{address.lower()}"},
                "sk": {"S": "#BOUNCE"},
                "type": {"S": "bounce"},
                "reason": {"S": reason[:1000]},
                "at": {"S": utcnow().isoformat()},
            },
        )

    def is_bouncing(self, address: str) -> bool:
        item = client("dynamodb").get_item(
            TableName=self.table_name,
            Key={"pk": {"S": f"ADDR#{address.lower()}"}, "sk": {"S": "#BOUNCE"}},
            ConsistentRead=True,
        )
        return "Item" in item

    def take_auto_response(self, address: str, *, limit: int, window_seconds: int) -> bool:
        now = int(time.time())
        window = now - now % window_seconds
        return take_in_window(
            self.table_name,
            f"ADDR#{address.lower()}",
            f"AR#{window}",
            limit=limit,
            expires_at=window + 2 * window_seconds,
            kind="auto-responses",
        )

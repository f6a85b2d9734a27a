"""What mail remembers about addresses, in the tickets table (see docs/data-model.md).

``ADDR#<address>`` / ``#BOUNCE``: the address bounces (reason, when); on the ``ByKind`` index as
``kind=bounce`` by time, so admins list them with one Query. ``ADDR#<address>`` /
``AR#<window start>``: automatic responses sent to it in one fixed window, counted with a
conditional ``ADD`` so concurrent senders cannot pass the cap; ``expires_at`` lets DynamoDB's TTL
remove old windows.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime

from tessera.adapters.clients import client
from tessera.adapters.dynamodb.rate_counters import take_in_window
from tessera.ports import Bounced
from tessera.tickets.model import utcnow


class DynamoMailLedger:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def mark_bouncing(self, address: str, reason: str) -> None:
        at = utcnow().isoformat()
        client("dynamodb").put_item(
            TableName=self.table_name,
            Item={
                "pk": {"S": f"ADDR#{address.lower()}"},
                "sk": {"S": "#BOUNCE"},
                "type": {"S": "bounce"},
                "reason": {"S": reason[:1000]},
                "at": {"S": at},
                "kind": {"S": "bounce"},
                "created": {"S": f"{at}#{address.lower()}"},
            },
        )

    def bounced(self, *, limit: int) -> Sequence[Bounced]:
        found = client("dynamodb").query(
            TableName=self.table_name,
            IndexName="ByKind",
            KeyConditionExpression="kind = :kind",
            ExpressionAttributeValues={":kind": {"S": "bounce"}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [
            Bounced(
                address=item["pk"]["S"].removeprefix("ADDR#"),
                reason=item["reason"]["S"],
                at=datetime.fromisoformat(item["at"]["S"]),
            )
            for item in found.get("Items", [])
        ]

    def unblock(self, address: str) -> None:
        client("dynamodb").delete_item(
            TableName=self.table_name,
            Key={"pk": {"S": f"ADDR#{address.lower()}"}, "sk": {"S": "#BOUNCE"}},
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

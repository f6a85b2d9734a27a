"""What mail remembers about addresses, in the tickets table (see docs/data-model.md).

``ADDR#<address>`` / ``#BOUNCE``: the address bounces (reason, when). ``ADDR#<address>`` /
``AR#<window start>``: automatic responses sent to it in one fixed window, counted with a
conditional ``ADD`` so concurrent senders cannot pass the cap; ``expires_at`` lets DynamoDB's TTL
remove old windows.
"""

from __future__ import annotations

import time

from tessera.adapters.aws import client
from tessera.tickets import utcnow


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
        dynamodb = client("dynamodb")
        now = int(time.time())
        window = now - now % window_seconds
        try:
            dynamodb.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": f"ADDR#{address.lower()}"}, "sk": {"S": f"AR#{window}"}},
                UpdateExpression="ADD #n :one SET expires_at = :expires, #t = :type",
                ConditionExpression="attribute_not_exists(#n) OR #n < :limit",
                ExpressionAttributeNames={"#n": "count", "#t": "type"},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":expires": {"N": str(window + 2 * window_seconds)},
                    ":type": {"S": "auto-responses"},
                },
            )
        except dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

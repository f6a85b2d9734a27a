"""Per-caller request counters in the tickets table (:class:`tessera.ports.RateCounters`).

``RATE#<caller>`` / ``<window start>``: one item per caller and fixed window, counted with a
conditional ``ADD`` (one UpdateItem per request) so concurrent requests cannot pass the limit;
``expires_at`` lets DynamoDB's TTL remove old windows.
"""

from __future__ import annotations

from tessera.adapters.aws import client


class DynamoRateCounters:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def take(self, key: str, *, window_start: int, window_seconds: int, limit: int) -> bool:
        dynamodb = client("dynamodb")
        try:
            dynamodb.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": f"RATE#{key}"}, "sk": {"S": str(window_start)}},
                UpdateExpression="ADD #n :one SET expires_at = :expires, #t = :type",
                ConditionExpression="attribute_not_exists(#n) OR #n < :limit",
                ExpressionAttributeNames={"#n": "count", "#t": "type"},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":expires": {"N": str(window_start + 2 * window_seconds)},
                    ":type": {"S": "rate"},
                },
            )
        except dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

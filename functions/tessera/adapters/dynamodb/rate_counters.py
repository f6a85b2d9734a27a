"""Per-caller request counters in the tickets table (:class:`tessera.ports.RateCounters`).

``RATE#<caller>`` / ``<window start>``: one item per caller and fixed window, counted with a
conditional ``ADD`` (one UpdateItem per request) so concurrent requests cannot pass the limit;
``expires_at`` lets DynamoDB's TTL remove old windows.
"""

from __future__ import annotations

from tessera.adapters.clients import client


def take_in_window(
    table_name: str, pk: str, sk: str, *, limit: int, expires_at: int, kind: str
) -> bool:
    """Count one more on the ``pk``/``sk`` window item unless it reached ``limit``: one
    conditional UpdateItem, so concurrent callers cannot pass the limit together. True if
    counted. (The auto-response cap in adapters/dynamodb/mail_ledger.py counts the same way.)"""
    dynamodb = client("dynamodb")
    try:
        dynamodb.update_item(
            TableName=table_name,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            UpdateExpression="ADD #n :one SET expires_at = :expires, #t = :type",
            ConditionExpression="attribute_not_exists(#n) OR #n < :limit",
            ExpressionAttributeNames={"#n": "count", "#t": "type"},
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":limit": {"N": str(limit)},
                ":expires": {"N": str(expires_at)},
                ":type": {"S": kind},
            },
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True


class DynamoRateCounters:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def take(self, key: str, *, window_start: int, window_seconds: int, limit: int) -> bool:
        return take_in_window(
            self.table_name,
            f"RATE#{key}",
            str(window_start),
            limit=limit,
            expires_at=window_start + 2 * window_seconds,
            kind="rate",
        )

    def count(self, key: str, *, window_start: int) -> int:
        item = (
            client("dynamodb")
            .get_item(
                TableName=self.table_name,
                Key={"pk": {"S": f"RATE#{key}"}, "sk": {"S": str(window_start)}},
                ConsistentRead=True,
            )
            .get("Item")
        )
        return int(item["count"]["N"]) if item and "count" in item else 0

"""Random writes to a DynamoDB table with two secondary indexes, every way a table changes:
puts, updates (SET, REMOVE, ADD, creating the item or not), deletes, batches and transactions
(some cancelled), for tests of what the local stack changes in moto's storage
(test_index_map); its table also serves the tests of the emulator's DynamoDB path and rules."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

STATUSES = ["new", "open", "solved"]
NUMBERS = ["1", "2", "3"]


def create_table(client: Any, table: str, *, stream: bool = False) -> None:
    """``table``: keys ``pk``/``sk``, index ByStatus (``status``/``at``), index ByNumber
    (``number``); with ``stream``, a stream of new and old images."""
    streamed = {
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    }
    client.create_table(
        **(streamed if stream else {}),
        TableName=table,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": attribute, "AttributeType": kind}
            for attribute, kind in [
                ("pk", "S"),
                ("sk", "S"),
                ("status", "S"),
                ("at", "S"),
                ("number", "N"),
            ]
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "ByStatus",  # a range key: an item without `at` is not in it
                "KeySchema": [
                    {"AttributeName": "status", "KeyType": "HASH"},
                    {"AttributeName": "at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "ByNumber",  # a number, no range key
                "KeySchema": [{"AttributeName": "number", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def key(n: int) -> dict[str, Any]:
    return {"pk": {"S": f"T#{n % 7}"}, "sk": {"S": f"#{n}"}}


def random_writes(client: Any, table: str, rng: random.Random, count: int) -> Iterator[Any]:
    """``count`` random writes to ``table`` (a table made by :func:`create_table`), yielding
    what each answered: the item before or after it, or whether a transaction was cancelled."""

    def attributes() -> dict[str, Any]:
        chosen: dict[str, Any] = {}
        if rng.random() < 0.8:
            chosen["status"] = {"S": rng.choice(STATUSES)}
        if rng.random() < 0.8:
            chosen["at"] = {"S": f"2026-12-0{rng.randint(1, 9)}"}
        if rng.random() < 0.6:
            chosen["number"] = {"N": rng.choice(NUMBERS)}
        return chosen

    for _ in range(count):
        n = rng.randrange(40)
        kind = rng.choice(["put", "update", "remove", "add", "delete", "batch", "transact"])
        answer: Any = None
        if kind == "put":
            answer = client.put_item(
                TableName=table, Item={**key(n), **attributes()}, ReturnValues="ALL_OLD"
            ).get("Attributes")
        elif kind == "update":
            answer = client.update_item(
                ReturnValues="ALL_NEW",
                TableName=table,
                Key=key(n),
                UpdateExpression="SET #s = :s, #t = :t",
                ExpressionAttributeNames={"#s": "status", "#t": "at"},
                ExpressionAttributeValues={
                    ":s": {"S": rng.choice(STATUSES)},
                    ":t": {"S": "2026-12-06"},
                },
            )
        elif kind == "remove":
            answer = client.update_item(
                ReturnValues="ALL_OLD",
                TableName=table,
                Key=key(n),
                UpdateExpression="REMOVE #a",
                ExpressionAttributeNames={"#a": rng.choice(["status", "at", "number"])},
            )
        elif kind == "add":
            answer = client.update_item(
                ReturnValues="UPDATED_NEW",
                TableName=table,
                Key=key(n),
                UpdateExpression="ADD #n :one",
                ExpressionAttributeNames={"#n": "number"},
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
        elif kind == "delete":
            answer = client.delete_item(TableName=table, Key=key(n), ReturnValues="ALL_OLD").get(
                "Attributes"
            )
        elif kind == "batch":
            others = rng.sample(range(40), 4)
            client.batch_write_item(
                RequestItems={
                    table: [
                        {"PutRequest": {"Item": {**key(m), **attributes()}}} for m in others[:3]
                    ]
                    + [{"DeleteRequest": {"Key": key(others[3])}}]
                }
            )
        else:
            others = rng.sample(range(40), 3)
            cancelled = rng.random() < 0.5
            operations: list[dict[str, Any]] = [
                {"Put": {"TableName": table, "Item": {**key(others[0]), **attributes()}}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": key(others[1]),
                        "UpdateExpression": "SET #s = :s, #t = :t",
                        "ExpressionAttributeNames": {"#s": "status", "#t": "at"},
                        "ExpressionAttributeValues": {
                            ":s": {"S": rng.choice(STATUSES)},
                            ":t": {"S": "2026-12-07"},
                        },
                    }
                },
                {
                    "Delete": {
                        "TableName": table,
                        "Key": key(others[2]),
                        **({"ConditionExpression": "attribute_exists(never)"} if cancelled else {}),
                    }
                },
            ]
            try:
                client.transact_write_items(TransactItems=operations)
                answer = "applied"
            except client.exceptions.TransactionCanceledException:
                assert cancelled
                answer = "cancelled"
        if isinstance(answer, dict) and "ResponseMetadata" in answer:
            answer = answer.get("Attributes")
        yield answer

"""An index query on the local stack reads the items under its value (tessera_local.index_map),
and answers exactly what a read of every item would: checked against the table's own items after
random puts, updates, deletes, batches and transactions (some cancelled)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tessera_local import index_map, moto_costs

pytestmark = pytest.mark.integration

TABLE = "index-map-test"
STATUSES = ["new", "open", "solved"]
NUMBERS = ["1", "2", "3"]


@pytest.fixture
def dynamodb(aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """moto in-process with the local stack's replacements (undone after the test)."""
    for owner, name, replacement in moto_costs.replacements():
        monkeypatch.setattr(owner, name, replacement)
    client = boto3.client("dynamodb")
    client.create_table(
        TableName=TABLE,
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
    return client


def key(n: int) -> dict[str, Any]:
    return {"pk": {"S": f"T#{n % 7}"}, "sk": {"S": f"#{n}"}}


def everything(client: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=TABLE):
        items.extend(page["Items"])
    return items


def answered(client: Any, index: str, attribute: str, value: dict[str, str]) -> set[str]:
    """The keys an index query answers, every page of it."""
    found: set[str] = set()
    pages = client.get_paginator("query").paginate(
        TableName=TABLE,
        IndexName=index,
        KeyConditionExpression="#a = :v",
        ExpressionAttributeNames={"#a": attribute},
        ExpressionAttributeValues={":v": value},
        PaginationConfig={"PageSize": 3},
    )
    for page in pages:
        found.update(f"{i['pk']['S']}|{i['sk']['S']}" for i in page["Items"])
    return found


def expected(
    items: list[dict[str, Any]], attribute: str, value: dict[str, str], needs: str | None
) -> set[str]:
    """What DynamoDB's index holds under the value: the items with the index's keys."""

    def matches(item: dict[str, Any]) -> bool:
        held = item.get(attribute)
        if held is None or (needs is not None and needs not in item):
            return False
        if "N" in value:
            return "N" in held and float(held["N"]) == float(value["N"])
        return held == value

    return {f"{i['pk']['S']}|{i['sk']['S']}" for i in items if matches(i)}


def check_every_value(client: Any) -> None:
    items = everything(client)
    for status in STATUSES:
        value = {"S": status}
        assert answered(client, "ByStatus", "status", value) == expected(
            items, "status", value, "at"
        ), status
    for number in NUMBERS:
        value = {"N": number}
        assert answered(client, "ByNumber", "number", value) == expected(
            items, "number", value, None
        ), number


def random_operations(client: Any, rng: random.Random, count: int) -> Iterator[None]:
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
        if kind == "put":
            client.put_item(TableName=TABLE, Item={**key(n), **attributes()})
        elif kind == "update":
            client.update_item(
                TableName=TABLE,
                Key=key(n),
                UpdateExpression="SET #s = :s, #t = :t",
                ExpressionAttributeNames={"#s": "status", "#t": "at"},
                ExpressionAttributeValues={
                    ":s": {"S": rng.choice(STATUSES)},
                    ":t": {"S": "2026-12-06"},
                },
            )
        elif kind == "remove":
            client.update_item(
                TableName=TABLE,
                Key=key(n),
                UpdateExpression="REMOVE #a",
                ExpressionAttributeNames={"#a": rng.choice(["status", "at", "number"])},
            )
        elif kind == "add":
            client.update_item(
                TableName=TABLE,
                Key=key(n),
                UpdateExpression="ADD #n :one",
                ExpressionAttributeNames={"#n": "number"},
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
        elif kind == "delete":
            client.delete_item(TableName=TABLE, Key=key(n))
        elif kind == "batch":
            others = rng.sample(range(40), 4)
            client.batch_write_item(
                RequestItems={
                    TABLE: [
                        {"PutRequest": {"Item": {**key(m), **attributes()}}} for m in others[:3]
                    ]
                    + [{"DeleteRequest": {"Key": key(others[3])}}]
                }
            )
        else:
            others = rng.sample(range(40), 3)
            cancelled = rng.random() < 0.5
            operations: list[dict[str, Any]] = [
                {"Put": {"TableName": TABLE, "Item": {**key(others[0]), **attributes()}}},
                {
                    "Update": {
                        "TableName": TABLE,
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
                        "TableName": TABLE,
                        "Key": key(others[2]),
                        **({"ConditionExpression": "attribute_exists(never)"} if cancelled else {}),
                    }
                },
            ]
            try:
                client.transact_write_items(TransactItems=operations)
            except client.exceptions.TransactionCanceledException:
                assert cancelled
        yield


def test_index_queries_answer_what_a_read_of_every_item_would(dynamodb: Any) -> None:
    rng = random.Random(1806)
    # Given items written before the first index query (the map is built then)
    for _ in random_operations(dynamodb, rng, 60):
        pass
    check_every_value(dynamodb)
    # When the table changes every way it can, then every value of every index answers right
    for step, _ in enumerate(random_operations(dynamodb, rng, 400)):
        if step % 20 == 0:
            check_every_value(dynamodb)
    check_every_value(dynamodb)


def test_an_index_query_reads_the_items_under_its_value_only(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given 300 open items and one solved one
    for n in range(300):
        dynamodb.put_item(
            TableName=TABLE,
            Item={
                "pk": {"S": f"T#{n}"},
                "sk": {"S": "#"},
                "status": {"S": "open"},
                "at": {"S": "x"},
            },
        )
    dynamodb.put_item(
        TableName=TABLE,
        Item={"pk": {"S": "T#x"}, "sk": {"S": "#"}, "status": {"S": "solved"}, "at": {"S": "x"}},
    )
    read: list[int] = []
    candidates = index_map.IndexMap.candidates

    def counted(self: index_map.IndexMap, table: Any, name: str, value: Any) -> list[Any]:
        found = candidates(self, table, name, value)
        read.append(len(found))
        return found

    monkeypatch.setattr(index_map.IndexMap, "candidates", counted)
    # When the solved one is asked for, one item is read, not 301
    assert answered(dynamodb, "ByStatus", "status", {"S": "solved"}) == {"T#x|#"}
    assert read == [1]


def test_an_index_added_later_is_answered_from_every_item(dynamodb: Any) -> None:
    # Given items, and the map built by a first query
    for n in range(10):
        dynamodb.put_item(
            TableName=TABLE, Item={**key(n), "colour": {"S": "red" if n % 2 else "blue"}}
        )
    assert answered(dynamodb, "ByNumber", "number", {"N": "1"}) == set()
    # When an index is added to the table
    dynamodb.update_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "colour", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "ByColour",
                    "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )
    # Then it answers for the items written before it
    assert len(answered(dynamodb, "ByColour", "colour", {"S": "red"})) == 5

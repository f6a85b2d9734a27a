"""An index query on the local stack reads the items under its value (tessera_local.index_map),
and answers exactly what a read of every item would: checked against the table's own items after
random puts, updates, deletes, batches and transactions (some cancelled)."""

from __future__ import annotations

import random
import sys
import threading
from typing import Any

import boto3
import pytest

from tessera_local import index_map
from tests.integration.dynamodb_writes import NUMBERS, STATUSES, create_table, key, random_writes

pytestmark = pytest.mark.integration

TABLE = "index-map-test"


@pytest.fixture
def dynamodb(moto_as_local: None) -> Any:
    client = boto3.client("dynamodb")
    create_table(client, TABLE)
    return client


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


def test_index_queries_answer_what_a_read_of_every_item_would(dynamodb: Any) -> None:
    rng = random.Random(1806)
    # Given items written before the first index query (the map is built then)
    for _ in random_writes(dynamodb, TABLE, rng, 60):
        pass
    check_every_value(dynamodb)
    # When the table changes every way it can, then every value of every index answers right
    for step, _ in enumerate(random_writes(dynamodb, TABLE, rng, 400)):
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


def test_an_update_naming_the_table_by_its_arn_keeps_the_map(dynamodb: Any) -> None:
    # Given an item and the map built by a first query
    dynamodb.put_item(TableName=TABLE, Item={**key(1), "status": {"S": "new"}, "at": {"S": "x"}})
    assert answered(dynamodb, "ByStatus", "status", {"S": "new"}) == {"T#1|#1"}
    # When an update names the table by its ARN
    arn = dynamodb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    dynamodb.update_item(
        TableName=arn,
        Key=key(1),
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "open"}},
    )
    # Then the index answers with the item under its new value
    assert answered(dynamodb, "ByStatus", "status", {"S": "open"}) == {"T#1|#1"}
    assert answered(dynamodb, "ByStatus", "status", {"S": "new"}) == set()


def test_a_reader_beside_a_writer_never_misses_an_item_whose_value_stays(dynamodb: Any) -> None:
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    # Given an item in the index, and a thread writing it again and again with the same value
    # (the emulator serializes calls; the map must hold without that lock too)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    item = {**key(1), "status": {"S": "open"}, "at": {"S": "x"}}
    dynamodb.put_item(TableName=TABLE, Item=item)
    assert answered(dynamodb, "ByStatus", "status", {"S": "open"}) == {"T#1|#1"}
    table = dynamodb_backends["123456789012"]["us-east-1"].get_table(TABLE)
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            table.put_item({**item, "n": {"N": str(n)}})

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        # When a reader asks for the value many times meanwhile
        value = [("status", DynamoType({"S": "open"}))]
        empty = sum(not index_map.candidates(table, "ByStatus", value) for _ in range(50_000))
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(switch)
    # Then it always found the item
    assert empty == 0

"""What DynamoDB refuses and moto lets through is refused by the local stack and in the tests
(tessera_local.dynamodb_rules): a Query's filter that names a key attribute."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tessera_local.dynamodb_rules import filtered_names
from tests.integration.dynamodb_writes import create_table

pytestmark = pytest.mark.integration


@pytest.fixture
def table(aws: None) -> Any:
    client = boto3.client("dynamodb")
    create_table(client, "rules")
    for sk in ("#TICKET", "E#1", "M#1"):
        item = {
            "pk": {"S": "T#1"},
            "sk": {"S": sk},
            "status": {"S": "x"},
            "at": {"S": sk},
            "type": {"S": sk[:2]},
        }
        client.put_item(TableName="rules", Item=item)
    return client


def query(client: Any, expression: str, names: dict[str, str], index: str | None = None) -> Any:
    keys = "#status = :g" if index else "pk = :p"
    values = {":g": {"S": "x"}} if index else {":p": {"S": "T#1"}}
    values[":e"] = {"S": "E#"}
    if index:
        names = {**names, "#status": "status"}
    extra = {"IndexName": index} if index else {}
    return client.query(
        TableName="rules",
        KeyConditionExpression=keys,
        FilterExpression=expression,
        ExpressionAttributeValues=values,
        **({"ExpressionAttributeNames": names} if names else {}),
        **extra,
    )


@pytest.mark.parametrize(
    ("expression", "names", "index", "key"),
    [
        ("NOT begins_with(sk, :e)", {}, None, "sk"),
        ("NOT begins_with(#s, :e)", {"#s": "sk"}, None, "sk"),
        ("#t <> :e OR attribute_exists(pk)", {"#t": "type"}, None, "pk"),
        ("#status <> :e", {}, "ByStatus", "status"),
        ("#at > :e", {"#at": "at"}, "ByStatus", "at"),
    ],
)
def test_a_query_filter_naming_a_key_is_refused_as_dynamodb_refuses_it(
    table: Any, expression: str, names: dict[str, str], index: str | None, key: str
) -> None:
    with pytest.raises(ClientError) as refused:
        query(table, expression, names, index)
    error = refused.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"].endswith(f"Primary key attribute: {key}")


def test_a_filter_on_other_attributes_and_a_scan_on_keys_are_answered(table: Any) -> None:
    found = query(table, "#t <> :e", {"#t": "type"})
    assert [i["sk"]["S"] for i in found["Items"]] == ["#TICKET", "M#1"]
    scanned = table.scan(
        TableName="rules",
        FilterExpression="begins_with(sk, :e)",
        ExpressionAttributeValues={":e": {"S": "E#"}},
    )
    assert [i["sk"]["S"] for i in scanned["Items"]] == ["E#1"]


def test_the_names_an_expression_reads_are_its_top_level_attributes() -> None:
    expression = "(size(#d.sk) > :n AND attribute_exists(a.b[0])) OR #0 IN (:x, :y) AND NOT c"
    assert filtered_names(expression, {"#d": "doc", "#0": "type"}) == {"doc", "a", "type", "c"}

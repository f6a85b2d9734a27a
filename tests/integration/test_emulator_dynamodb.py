"""The emulator serves DynamoDB's calls with moto's DynamoDB handler alone
(tessera_local.emulator.dynamodb_app), not through moto's server app: the same script of calls,
answers and errors included, is run through each and the answers compared one by one."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.endpoint import Endpoint
from botocore.exceptions import ClientError
from werkzeug.test import Client

from tessera_local import emulator as emulator_module
from tessera_local import transport
from tessera_local.emulator import Emulator
from tessera_local.stack import free_port
from tests.integration.dynamodb_writes import create_table

pytestmark = pytest.mark.integration

# What moto makes up anew for each table: left out of the comparison.
VOLATILE = {"CreationDateTime", "LatestStreamLabel", "LatestStreamArn", "LastUpdateDateTime"}


@pytest.fixture
def running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Emulator, int]]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(Endpoint, "_send", Endpoint._send)  # undone after the test
    served = Emulator(tmp_path)
    Client(served).post("/moto-api/reset")  # moto's state is per process
    port = free_port()
    transport.install(served, port)
    yield served, port
    served.close()
    Client(served).post("/moto-api/reset")


def script(dynamodb: Any) -> None:
    """Calls of every kind the functions make, and the errors they meet."""
    table = "Script"
    create_table(dynamodb, table, stream=True)
    for n in range(5):
        dynamodb.put_item(
            TableName=table,
            Item={
                "pk": {"S": "T#1"},
                "sk": {"S": f"M#{n}"},
                "status": {"S": f"s{n % 2}"},
                "at": {"S": f"2026-12-0{n + 1}"},
                "n": {"N": str(n)},
                "b": {"B": bytes([n, 255])},
                "tags": {"SS": ["a", f"t{n}"]},
                "doc": {"M": {"x": {"L": [{"N": "1"}, {"NULL": True}, {"BOOL": False}]}}},
            },
        )
    dynamodb.get_item(TableName=table, Key={"pk": {"S": "T#1"}, "sk": {"S": "M#1"}})
    dynamodb.get_item(TableName=table, Key={"pk": {"S": "T#1"}, "sk": {"S": "absent"}})
    dynamodb.update_item(
        TableName=table,
        Key={"pk": {"S": "T#1"}, "sk": {"S": "M#2"}},
        UpdateExpression="SET #n = #n + :one REMOVE tags ADD c :one",
        ExpressionAttributeNames={"#n": "n"},
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="ALL_NEW",
    )
    dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :p AND begins_with(sk, :m)",
        ExpressionAttributeValues={":p": {"S": "T#1"}, ":m": {"S": "M#"}},
        ScanIndexForward=False,
        Limit=3,
    )
    dynamodb.query(
        TableName=table,
        IndexName="ByStatus",
        KeyConditionExpression="#s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "s0"}},
    )
    dynamodb.scan(
        TableName=table,
        FilterExpression="n > :two",
        ExpressionAttributeValues={":two": {"N": "2"}},
    )
    dynamodb.batch_write_item(
        RequestItems={
            table: [
                {"PutRequest": {"Item": {"pk": {"S": "T#2"}, "sk": {"S": "#TICKET"}}}},
                {"DeleteRequest": {"Key": {"pk": {"S": "T#1"}, "sk": {"S": "M#4"}}}},
            ]
        }
    )
    dynamodb.batch_get_item(
        RequestItems={
            table: {
                "Keys": [
                    {"pk": {"S": "T#2"}, "sk": {"S": "#TICKET"}},
                    {"pk": {"S": "T#1"}, "sk": {"S": "M#0"}},
                ],
                "ConsistentRead": True,
            }
        }
    )
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "T#3"}, "sk": {"S": "#TICKET"}}}},
            {
                "Update": {
                    "TableName": table,
                    "Key": {"pk": {"S": "T#1"}, "sk": {"S": "M#0"}},
                    "UpdateExpression": "SET seen = :t",
                    "ExpressionAttributeValues": {":t": {"BOOL": True}},
                }
            },
        ]
    )
    dynamodb.describe_table(TableName=table)
    dynamodb.delete_item(
        TableName=table, Key={"pk": {"S": "T#3"}, "sk": {"S": "#TICKET"}}, ReturnValues="ALL_OLD"
    )
    failing: list[Callable[[], Any]] = [
        lambda: dynamodb.put_item(
            TableName=table,
            Item={"pk": {"S": "T#2"}, "sk": {"S": "#TICKET"}},
            ConditionExpression="attribute_not_exists(pk)",
        ),
        lambda: dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "T#4"}, "sk": {"S": "#TICKET"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"pk": {"S": "T#2"}, "sk": {"S": "#TICKET"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        ),
        lambda: dynamodb.query(
            TableName=table,
            KeyConditionExpression="pk = :q",
            ExpressionAttributeValues={":p": {"S": "T#1"}},
        ),
        lambda: dynamodb.update_item(
            TableName=table,
            Key={"pk": {"S": "T#1"}, "sk": {"S": "M#0"}},
            UpdateExpression="SET a = :missing",
        ),
        lambda: dynamodb.get_item(TableName="NoSuchTable", Key={"pk": {"S": "x"}}),
    ]
    for call in failing:
        with pytest.raises(ClientError):
            call()


def answers(port: int) -> list[tuple[int, str, Any]]:
    """Run the script against the emulator on ``port``: each call's HTTP status, content type
    and JSON body (what moto makes up anew for each table left out)."""
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    seen: list[tuple[int, str, Any]] = []

    def record(http_response: Any, **_: Any) -> None:
        body = json.loads(http_response.content or b"{}")
        seen.append(
            (
                http_response.status_code,
                http_response.headers.get("Content-Type", ""),
                _stable(body),
            )
        )

    dynamodb.meta.events.register("after-call.dynamodb", record)
    script(dynamodb)
    return seen


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def test_dynamodb_calls_are_answered_as_moto_s_server_app_answers_them(
    running: tuple[Emulator, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    served, port = running
    handled: list[str] = []
    fast = emulator_module.dynamodb_app

    def counted(environ: dict[str, Any], start_response: Any) -> Any:
        handled.append(str(environ.get("HTTP_X_AMZ_TARGET")))
        return fast(environ, start_response)

    # Given the script's answers through moto's server app
    with pytest.MonkeyPatch.context() as app_only:
        app_only.setattr(Emulator, "_app_for", lambda self, environ: self._app)
        through_app = answers(port)
    assert handled == []
    # When the same script runs on a fresh state through the DynamoDB handler alone
    Client(served).post("/moto-api/reset")
    monkeypatch.setattr(emulator_module, "dynamodb_app", counted)
    direct = answers(port)
    # Then every call went the short way, and every answer is the same, errors included
    assert len(handled) == len(direct) == len(through_app) == 22
    assert direct == through_app
    statuses = [status for status, _, _ in direct]
    assert statuses.count(400) == 5

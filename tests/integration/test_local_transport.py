"""The stack's own calls reach its emulator in-process (tessera_local.transport): the same
answers as over the port, journaled the same way, with no server listening at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.endpoint import Endpoint
from botocore.exceptions import ClientError
from werkzeug.test import Client

from tessera_local import transport
from tessera_local.emulator import Emulator, EmulatorServer, Journal
from tessera_local.stack import free_port

pytestmark = pytest.mark.integration


@pytest.fixture(params=["in-process", "over the port"])
def emulator(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Emulator, int]]:
    """An emulator journaling into ``tmp_path``: reached in-process on a port nobody serves
    (the stack's own calls), or through its server (the CLI's, the tests')."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(Endpoint, "_send", Endpoint._send)  # undone after the test
    running = Emulator(tmp_path)
    Client(running).post("/moto-api/reset")  # moto's state is per process
    running.start_journal()
    running.save()  # an empty snapshot: what follows is in the journal only
    port = free_port()  # bound by no one unless served: over the socket it would be refused
    server = None
    if request.param == "in-process":
        transport.install(running, port)
    else:
        server = EmulatorServer(running, port)
        server.start()
    yield running, port
    if server is not None:
        server.stop()
    running.close()
    Client(running).post("/moto-api/reset")


def client(service: str, port: int) -> Any:
    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def test_calls_are_answered_journaled_and_restored_by_a_replay(
    emulator: tuple[Emulator, int], tmp_path: Path
) -> None:
    running, port = emulator
    s3, dynamodb = client("s3", port), client("dynamodb", port)
    # Given a bucket and a table made through the transport
    s3.create_bucket(Bucket="files")
    dynamodb.create_table(
        TableName="things",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    # When an object with a non-ASCII key, binary body and underscored metadata is stored and
    # read back, an item written and read, and a missing object asked for
    key = "inbound/é ü 1+2 %41.eml"
    s3.put_object(Bucket="files", Key=key, Body=b"\x00\xffraw", Metadata={"file_name": "a b"})
    got = s3.get_object(Bucket="files", Key=key)
    dynamodb.put_item(TableName="things", Item={"pk": {"S": "1"}, "b": {"B": b"\x01"}})
    item = dynamodb.get_item(TableName="things", Key={"pk": {"S": "1"}})["Item"]
    with pytest.raises(ClientError) as missing:
        s3.head_object(Bucket="files", Key="nothing-here")

    # Then each answer is the emulator's
    assert got["Body"].read() == b"\x00\xffraw"
    assert got["Metadata"] == {"file_name": "a b"}
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="files")["Contents"]] == [key]
    assert item == {"pk": {"S": "1"}, "b": {"B": b"\x01"}}
    assert missing.value.response["Error"]["Code"] == "404"
    # and every change is in the journal, in the order it was served (reads are not), so a
    # crash now loses none of it: a new emulator restores every one
    journaled = [r["method"] for r in Journal.records(tmp_path, 0)]
    assert journaled == ["PUT", "POST", "PUT", "POST"]  # bucket, table, object, item
    Client(running).post("/moto-api/reset")
    Emulator(tmp_path).restore()
    assert s3.get_object(Bucket="files", Key=key)["Body"].read() == b"\x00\xffraw"
    assert dynamodb.get_item(TableName="things", Key={"pk": {"S": "1"}})["Item"] == item

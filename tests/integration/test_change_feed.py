"""The local stack's change feed: a table's stream records reach the functions subscribed to them
(``Type: DynamoDB`` events) as Lambda's event source mapping delivers them, durably.

Each test runs the real emulator (moto behind the journal) on a port of its own with a small
template: one streamed table, one subscribed consumer (tests/integration/change_consumer.py).
"""

from __future__ import annotations

import json
import smtplib
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3
import pytest

from tessera_local import lambdas, provision, streams
from tessera_local.emulator import Emulator, EmulatorServer
from tessera_local.stack import free_port
from tessera_local.template import Template, TemplateError
from tests.integration import change_consumer
from tests.localstack import RunningStack
from tests.localstack import wait_for as wait_for_stack

TEMPLATE = """
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      StreamSpecification: { StreamViewType: NEW_AND_OLD_IMAGES }
      AttributeDefinitions: [{ AttributeName: pk, AttributeType: S }]
      KeySchema: [{ AttributeName: pk, KeyType: HASH }]
  Failures:
    Type: AWS::SQS::Queue
  Consumer:
    Type: AWS::Serverless::Function
    Properties:
      Handler: tests.integration.change_consumer.handler
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 4
            BisectBatchOnFunctionError: true
            MaximumRetryAttempts: 2
            DestinationConfig:
              OnFailure: { Type: SQS, Destination: !GetAtt Failures.Arn }
"""


class Running:
    """An emulator serving ``template`` from ``data_dir``, and its change feed."""

    def __init__(self, template: Template, data_dir: Path, *, fresh: bool) -> None:
        self.template = template
        self.data_dir = data_dir
        self.emulator = Emulator(data_dir)
        port = free_port()
        self.server = EmulatorServer(self.emulator, port)
        self.server.start()
        self.session = boto3.Session(
            region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local"
        )
        self.endpoint = f"http://127.0.0.1:{port}"
        if fresh:
            # moto's state is per process: forget the previous test's table
            reset = urllib.request.Request(  # noqa: S310 - loopback
                f"{self.endpoint}/moto-api/reset", method="POST"
            )
            urllib.request.urlopen(reset).close()  # noqa: S310 - loopback
            provision.create_tables(template, self.client("dynamodb"))
            self.emulator.start_journal()
            self.emulator.save()
        else:
            self.emulator.restore()
        self.sent: list[tuple[str, str, dict[str, str]]] = []
        self.feed = streams.ChangeFeed(
            template,
            lambdas.Functions(template),
            self.emulator.lock,
            data_dir,
            fresh=fresh,
            poll_seconds=0.05,
        )
        self.feed.send_to_queue = lambda arn, body, attrs: self.sent.append((arn, body, attrs))
        self.feed.start()

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint)

    def put(self, *keys: str) -> None:
        dynamodb = self.client("dynamodb")
        table = self.template.ref("Table")
        for key in keys:
            dynamodb.put_item(TableName=table, Item={"pk": {"S": key}, "n": {"N": "1"}})

    def stop(self, *, crash: bool = False) -> None:
        """Stop the feed and the server; ``crash``: without the clean stop's snapshot."""
        self.feed.stop()
        self.server.stop()
        if not crash:
            self.emulator.save()
        self.emulator.close()


def wait_for(condition: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def keys(records: list[dict[str, Any]]) -> list[str]:
    return [r["dynamodb"]["Keys"]["pk"]["S"] for r in records]


@pytest.fixture
def template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Template]:
    monkeypatch.setattr(streams, "RETRY_DELAY", 0.01)
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    change_consumer.reset()
    yield Template.load(path)
    change_consumer.reset()


def test_changes_reach_the_subscribed_function_in_order_in_lambdas_shape(
    template: Template, tmp_path: Path
) -> None:
    # Given a running feed
    stack = Running(template, tmp_path / "data", fresh=True)
    try:
        # When items are put, changed and deleted
        stack.put("a", "b", "c")
        dynamodb = stack.client("dynamodb")
        table = template.ref("Table")
        dynamodb.update_item(
            TableName=table,
            Key={"pk": {"S": "a"}},
            UpdateExpression="SET n = :two",
            ExpressionAttributeValues={":two": {"N": "2"}},
        )
        dynamodb.delete_item(TableName=table, Key={"pk": {"S": "b"}})
        wait_for(lambda: len(change_consumer.received) == 5)
        # Then the consumer got every change once, in order, as Lambda's DynamoDB event has it
        records = change_consumer.received
        assert keys(records) == ["a", "b", "c", "a", "b"]
        assert [r["eventName"] for r in records] == [
            "INSERT", "INSERT", "INSERT", "MODIFY", "REMOVE"
        ]  # fmt: skip
        modify, remove = records[3], records[4]
        assert modify["dynamodb"]["OldImage"]["n"] == {"N": "1"}
        assert modify["dynamodb"]["NewImage"]["n"] == {"N": "2"}
        assert "NewImage" not in remove["dynamodb"]
        assert remove["dynamodb"]["OldImage"]
        assert {r["eventSource"] for r in records} == {"aws:dynamodb"}
        assert {r["eventSourceARN"] for r in records} == {template.get_att("Table", "StreamArn")}
        assert all(isinstance(r["dynamodb"]["ApproximateCreationDateTime"], int) for r in records)
        sequences = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
        assert sequences == sorted(sequences)
        assert len(set(sequences)) == 5
        assert max(change_consumer.batches) <= 4  # BatchSize
        # And what it read is trimmed from moto's shard (memory does not grow per change)
        wait_for(lambda: stack.feed.held(table) == 0)
    finally:
        stack.stop()


def test_an_image_reaches_the_function_as_json_values_of_its_own(
    template: Template, tmp_path: Path
) -> None:
    # Given a running feed
    stack = Running(template, tmp_path / "data", fresh=True)
    try:
        # When an item with nested, set, binary and null attributes is put, then changed
        dynamodb = stack.client("dynamodb")
        table = template.ref("Table")
        item = {
            "pk": {"S": "rich"},
            "who": {"M": {"name": {"S": "Ann"}, "tags": {"L": [{"S": "vip"}, {"N": "2"}]}}},
            "labels": {"SS": ["a", "b"]},
            "blob": {"B": b"\x00\xff"},
            "blobs": {"BS": [b"\x01"]},
            "deep": {"L": [{"M": {"b": {"B": b"\x02"}}}]},
            "gone": {"NULL": True},
            "open": {"BOOL": False},
        }
        dynamodb.put_item(TableName=table, Item=item)
        dynamodb.update_item(
            TableName=table,
            Key={"pk": {"S": "rich"}},
            UpdateExpression="SET who.#n = :n",
            ExpressionAttributeNames={"#n": "name"},
            ExpressionAttributeValues={":n": {"S": "Bea"}},
        )
        wait_for(lambda: len(change_consumer.received) == 2)
        insert, modify = change_consumer.received
        # Then each image is plain JSON, as Lambda's event carries it (binary in base64)
        for record in (insert, modify):
            assert json.loads(json.dumps(record)) == record
        expected = {
            **item,
            "blob": {"B": "AP8="},
            "blobs": {"BS": ["AQ=="]},
            "deep": {"L": [{"M": {"b": {"B": "Ag=="}}}]},
        }
        assert insert["dynamodb"]["NewImage"] == expected
        assert modify["dynamodb"]["OldImage"] == expected
        assert modify["dynamodb"]["NewImage"]["who"]["M"]["name"] == {"S": "Bea"}
        assert sorted(modify["dynamodb"]["NewImage"]["labels"]["SS"]) == ["a", "b"]
    finally:
        stack.stop()


def test_a_batch_waits_while_foreground_work_runs_and_at_most_its_longest_wait(
    template: Template, tmp_path: Path
) -> None:
    # Given a running feed whose batches wait at most 1.5 s for foreground work
    stack = Running(template, tmp_path / "data", fresh=True)
    stack.feed.max_defer = 1.5
    functions = stack.feed.functions
    try:
        # When changes are made while foreground work (a mail's routing, say) runs
        with functions.foreground():
            stack.put("a", "b")
            time.sleep(0.6)
            # Then they are not delivered yet (the consumers keep derived views: they wait)
            assert change_consumer.received == []
            assert functions.busy(0.5)
        # and they are once it ended
        wait_for(lambda: keys(change_consumer.received) == ["a", "b"], seconds=5)
        # When foreground work goes on and on
        with functions.foreground():
            stack.put("c")
            time.sleep(0.6)
            # Then the change waits (its longest wait is 1.5 s)
            assert keys(change_consumer.received) == ["a", "b"]
            # and no longer: it is delivered while the foreground work still runs
            wait_for(lambda: len(change_consumer.received) == 3, seconds=10)
            assert functions.busy(0.5)
        assert keys(change_consumer.received) == ["a", "b", "c"]
    finally:
        stack.stop()


def test_each_record_is_made_into_lambdas_form_once_however_long_it_waits(
    template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []
    make = streams.lambda_record

    def counted(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
        made.append(record["dynamodb"]["SequenceNumber"])
        return make(record, stream_arn)

    monkeypatch.setattr(streams, "lambda_record", counted)
    # Given a running feed whose batch waits while foreground work runs
    stack = Running(template, tmp_path / "data", fresh=True)
    functions = stack.feed.functions
    try:
        # When changes wait through several polls before they are delivered
        with functions.foreground():
            stack.put("a", "b", "c")
            time.sleep(0.5)  # ten polls of the feed
        wait_for(lambda: keys(change_consumer.received) == ["a", "b", "c"], seconds=5)
        # Then each was read from the shard and converted once (moto's record to Lambda's form
        # was most of the feed's CPU under a burst of mail: a record was read again at each poll)
        assert len(made) == 3
        assert len(set(made)) == 3
    finally:
        stack.stop()


@pytest.mark.parametrize("crash", [False, True], ids=["restart", "crash"])
def test_a_restart_loses_no_change_and_repeats_none_it_checkpointed(
    template: Template, tmp_path: Path, crash: bool
) -> None:
    # Given a feed that delivered three changes
    data = tmp_path / "data"
    stack = Running(template, data, fresh=True)
    stack.put("a", "b", "c")
    wait_for(lambda: len(change_consumer.received) == 3)
    wait_for(lambda: stack.feed.held(template.ref("Table")) == 0)
    # And two more changes made after its last poll, then the stack stops (or is killed)
    stack.feed.stop()
    stack.feed.stopped = threading.Event()  # the table still takes writes
    stack.put("d", "e")
    stack.stop(crash=crash)
    # When it starts again from its data directory
    again = Running(template, data, fresh=False)
    try:
        again.put("f")
        wait_for(lambda: len(change_consumer.received) == 6)
        time.sleep(0.3)  # time for a duplicate to show up, if there were one
        # Then every change arrived, and none it had checkpointed came again
        assert keys(change_consumer.received) == ["a", "b", "c", "d", "e", "f"]
        sequences = [int(r["dynamodb"]["SequenceNumber"]) for r in change_consumer.received]
        assert sequences == sorted(sequences)
        assert len(set(sequences)) == 6
        wait_for(lambda: again.feed.held(template.ref("Table")) == 0)
    finally:
        again.stop()


def test_an_erroring_consumer_is_retried_bisected_and_its_poison_record_reported(
    template: Template, tmp_path: Path
) -> None:
    # Given a consumer that fails twice on "b" and always on "x"
    change_consumer.failures_left.update({"b": 2, "x": -1})
    stack = Running(template, tmp_path / "data", fresh=True)
    try:
        # When changes arrive, the poison one among them
        stack.put("a", "b", "x", "c", "d")
        wait_for(lambda: "d" in keys(change_consumer.received))
        # Then "b" got through on a retry, every other change was delivered, "x" never was
        assert keys(change_consumer.received) == ["a", "b", "c", "d"]
        # And "x"'s place in the stream is on the failure queue, after its retries
        [(arn, body, attributes)] = stack.sent
        assert arn == template.get_att("Failures", "Arn")
        info = json.loads(body)["DDBStreamBatchInfo"]
        assert info["batchSize"] == 1
        assert info["startSequenceNumber"] == info["endSequenceNumber"]
        assert attributes["ErrorMessage"] == "RuntimeError: cannot handle x"
        # And the feed moved on past it
        stack.put("e")
        wait_for(lambda: "e" in keys(change_consumer.received))
    finally:
        stack.stop()


FILTERED = "            MaximumRetryAttempts: 2\n"


def with_filters(tmp_path: Path, *patterns: str) -> Template:
    """The test template, its consumer's mapping given ``FilterCriteria`` of ``patterns``."""
    filters = "".join(f"                - Pattern: '{p}'\n" for p in patterns)
    text = TEMPLATE.replace(
        FILTERED, FILTERED + "            FilterCriteria:\n" + "              Filters:\n" + filters
    )
    path = tmp_path / "filtered.yaml"
    path.write_text(text, encoding="utf-8")
    return Template.load(path)


def test_a_filtered_mapping_delivers_only_the_records_its_patterns_match(
    template: Template, tmp_path: Path
) -> None:
    # Given a consumer whose mapping keeps keys starting "T#", and exactly "keep"
    filtered = with_filters(
        tmp_path,
        '{"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "T#"}]}}}}',
        '{"dynamodb": {"Keys": {"pk": {"S": ["keep"]}}}, "eventName": ["INSERT"]}',
    )
    stack = Running(filtered, tmp_path / "data", fresh=True)
    try:
        # When records of both kinds and others arrive (more than a batch of others first)
        stack.put("RPT#1", "RPT#2", "RPT#3", "RPT#4", "RPT#5", "T#a", "keeper", "keep", "T#b")
        stack.client("dynamodb").delete_item(
            TableName=filtered.ref("Table"), Key={"pk": {"S": "keep"}}
        )
        stack.put("T#c")
        wait_for(lambda: "T#c" in keys(change_consumer.received))
        # Then only the matching ones were delivered, in order; the REMOVE of "keep" was not
        assert keys(change_consumer.received) == ["T#a", "keep", "T#b", "T#c"]
        # And records no pattern matched are passed over: the shard is trimmed past them
        stack.put("RPT#6", "RPT#7")
        wait_for(lambda: stack.feed.held(filtered.ref("Table")) == 0)
        assert keys(change_consumer.received) == ["T#a", "keep", "T#b", "T#c"]
    finally:
        stack.stop()


@pytest.mark.parametrize(
    ("pattern", "refusal"),
    [
        ('{"dynamodb": {"Keys": {"pk": {"S": [{"suffix": "x"}]}}}}', '{"suffix": "x"} is not run'),
        ('{"dynamodb": {"Keys": {"pk": {"S": "T#"}}}}', "pk.S: a non-empty list"),
        ('{"dynamodb": ', "not a JSON pattern"),
    ],
)
def test_a_filter_the_local_feed_cannot_run_is_refused_naming_it(
    tmp_path: Path, pattern: str, refusal: str
) -> None:
    with pytest.raises(TemplateError) as refused:
        streams.subscriptions(with_filters(tmp_path, pattern))
    assert "Consumer.Changes.FilterCriteria.Filters[0].Pattern" in str(refused.value)
    assert refusal in str(refused.value)


def test_on_the_local_stack_a_new_ticket_reaches_the_search_indexer(stack: RunningStack) -> None:
    # Given the local stack, its search indexer subscribed to the tickets table's stream
    before = len(stack.output)
    # When a mail opens a ticket
    message = EmailMessage()
    message["From"] = "Feed Tester <feed@customer.test>"
    message["To"] = "support@example.com"
    message["Subject"] = "Change feed check"
    message["Message-ID"] = f"<{uuid.uuid4()}@customer.test>"
    message.set_content("Does the indexer hear of it?")
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)

    # Then the indexer is handed the table's changes within seconds
    def delivered() -> list[str]:
        return [line for line in stack.output[before:] if '"ticket changes"' in line]

    assert wait_for_stack(delivered, timeout=30), "".join(stack.output[before:][-30:])

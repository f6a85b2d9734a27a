"""What the local stack changes in moto so its cost follows the call, not the history
(tessera_local.moto_costs), and the journal's shared flush (tessera_local.emulator.Journal):
DynamoDB's all-or-nothing transactions kept, no model object kept for ever, every record durable
before its call is answered."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from tessera_local import moto_costs
from tessera_local.emulator import Journal

pytestmark = pytest.mark.integration

TABLE = "costs-test"


@pytest.fixture
def dynamodb(moto_as_local: None) -> Any:
    client = boto3.client("dynamodb")
    client.create_table(
        TableName=TABLE,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "status", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "ByStatus",
                "KeySchema": [
                    {"AttributeName": "status", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def key(pk: str, sk: str = "A") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def item(client: Any, pk: str, sk: str = "A") -> dict[str, Any] | None:
    found: dict[str, Any] | None = client.get_item(TableName=TABLE, Key=key(pk, sk)).get("Item")
    return found


def refused_each_time(client: Any, match: str, **query: Any) -> None:
    """A query moto refuses (it raises a ValueError for an expression it cannot parse), refused
    again the second time: nothing of the first attempt was kept."""
    for _ in range(2):
        with pytest.raises(ValueError, match=match):
            client.query(TableName=TABLE, **query)


def test_a_cancelled_transaction_changes_nothing_and_names_the_failed_condition(
    dynamodb: Any,
) -> None:
    # Given a ticket at version 1, an item that is about to be deleted, a claimed key
    dynamodb.put_item(TableName=TABLE, Item={**key("t1"), "version": {"N": "1"}})
    dynamodb.put_item(TableName=TABLE, Item=key("claimed"))
    dynamodb.put_item(TableName=TABLE, Item={**key("gone"), "n": {"N": "7"}})
    # When a transaction puts a new item, updates the ticket, deletes the other, and its last
    # condition fails
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {**key("new"), "x": {"S": "y"}}}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": key("t1"),
                        "UpdateExpression": "SET version = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {"Delete": {"TableName": TABLE, "Key": key("gone")}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": key("claimed"),
                        "ConditionExpression": "attribute_not_exists(pk)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )
    # Then every item is as it was, and the reasons are listed per item, in order
    reasons = cancelled.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "None", "None", "ConditionalCheckFailed"]
    assert item(dynamodb, "new") is None
    assert item(dynamodb, "t1") == {**key("t1"), "version": {"N": "1"}}
    assert item(dynamodb, "gone") == {**key("gone"), "n": {"N": "7"}}


def test_a_transaction_whose_conditions_hold_applies_every_write(dynamodb: Any) -> None:
    # Given a ticket at version 1
    dynamodb.put_item(TableName=TABLE, Item={**key("t2"), "version": {"N": "1"}})
    # When one transaction updates it under its version and claims a new key
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": key("t2"),
                    "UpdateExpression": "SET version = :two",
                    "ConditionExpression": "version = :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":two": {"N": "2"}},
                }
            },
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": key("claim", "B"),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
    )
    # Then both writes are there; the same claim again is refused
    assert item(dynamodb, "t2") == {**key("t2"), "version": {"N": "2"}}
    assert item(dynamodb, "claim", "B") == key("claim", "B")
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": key("claim", "B"),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            ]
        )


def test_two_operations_on_one_item_are_refused_before_anything_is_written(
    dynamodb: Any,
) -> None:
    with pytest.raises(dynamodb.exceptions.ClientError, match="multiple operations on one item"):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": key("twice")}},
                {"Delete": {"TableName": TABLE, "Key": key("twice")}},
            ]
        )
    assert item(dynamodb, "twice") is None


def test_a_query_reads_its_partition_in_order_and_an_index_query_finds_every_match(
    dynamodb: Any,
) -> None:
    # Given three partitions, written out of order, some items open
    for pk in ("p2", "p1", "p3"):
        for sk in ("c", "a", "d", "b"):
            status = {"status": {"S": "open"}} if sk in {"a", "d"} else {}
            dynamodb.put_item(TableName=TABLE, Item={**key(pk, sk), **status})

    def sks(**query: Any) -> list[str]:
        found, start = [], {}
        while True:
            page = dynamodb.query(TableName=TABLE, Limit=3, **query, **start)
            found += [f"{i['pk']['S']}/{i['sk']['S']}" for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return found
            start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}

    # When one partition is read forwards and backwards, in pages of 3
    partition = {
        "KeyConditionExpression": "pk = :pk AND sk > :after",
        "ExpressionAttributeValues": {":pk": {"S": "p1"}, ":after": {"S": "a"}},
    }
    # Then it has its own items only, in range-key order
    assert sks(**partition) == ["p1/b", "p1/c", "p1/d"]
    assert sks(**partition, ScanIndexForward=False) == ["p1/d", "p1/c", "p1/b"]
    # And an index query finds the open items of every partition, in the index's order
    assert sks(
        IndexName="ByStatus",
        KeyConditionExpression="#s = :open",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":open": {"S": "open"}},
    ) == ["p1/a", "p2/a", "p3/a", "p1/d", "p2/d", "p3/d"]


def test_a_query_answers_from_the_stored_items_and_leaves_them_as_they_were(
    dynamodb: Any,
) -> None:
    import copy

    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    # Given an item with a nested map, a list and a binary value, in a partition and an index
    stored = {
        **key("q1", "a"),
        "status": {"S": "open"},
        "m": {"M": {"n": {"N": "1"}, "l": {"L": [{"S": "x"}]}}},
        "b": {"B": b"\x00\xff"},
    }
    dynamodb.put_item(TableName=TABLE, Item=stored)
    table = dynamodb_backends["123456789012"]["us-east-1"].get_table(TABLE)
    kept = moto_costs.index_map.stored(table, DynamoType({"S": "q1"}), DynamoType({"S": "a"}))

    def answer(values: dict[str, Any] | None = None, **query: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = dynamodb.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "q1"}, **(values or {})},
            **query,
        )["Items"]
        return items

    # When it is queried whole, through the index, projected, and filtered
    whole = answer()
    by_index = dynamodb.query(
        TableName=TABLE,
        IndexName="ByStatus",
        KeyConditionExpression="#s = :open",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":open": {"S": "open"}},
    )["Items"]
    projected = answer(ProjectionExpression="pk, m.l")
    filtered = answer({":one": {"N": "1"}}, FilterExpression="m.n = :one")

    # Then each answer is DynamoDB's, and the stored item is unchanged by the projection
    assert whole == by_index == filtered == [stored]
    assert projected == [{"pk": {"S": "q1"}, "m": {"M": {"l": {"L": [{"S": "x"}]}}}}]
    assert item(dynamodb, "q1", "a") == stored
    # And an item is copied outside a query (a transaction's saved image is its own)
    copied = copy.deepcopy(kept)
    assert copied is not kept
    assert copied.attrs is not kept.attrs
    assert copied.to_json() == kept.to_json()
    # While inside a query's scope, the stored item is what its answer reads
    scope = moto_costs._querying.set((table, kept.hash_key))
    try:
        assert copy.deepcopy([kept])[0] is kept
    finally:
        moto_costs._querying.reset(scope)


def test_an_expressions_tokens_are_made_once_and_each_parse_is_its_own(dynamodb: Any) -> None:
    # Given two items and an expression string not seen before
    dynamodb.put_item(TableName=TABLE, Item={**key("lex1"), "n": {"N": "1"}})
    dynamodb.put_item(TableName=TABLE, Item={**key("lex2"), "n": {"N": "5"}})
    tag = uuid.uuid4().hex[:8]
    expression = f"n BETWEEN :low AND :high AND attribute_not_exists(x{tag})"
    from moto.dynamodb.comparisons import ConditionExpressionParser

    info = ConditionExpressionParser._lex_condition_expression.cache_info  # type: ignore[attr-defined]
    before = info()

    # When the same expression filters two queries with other values
    def matching(low: str, high: str) -> list[str]:
        found = []
        for pk in ("lex1", "lex2"):
            page = dynamodb.query(
                TableName=TABLE,
                KeyConditionExpression="pk = :pk",
                FilterExpression=expression,
                ExpressionAttributeValues={
                    ":pk": {"S": pk},
                    ":low": {"N": low},
                    ":high": {"N": high},
                },
            )
            found += [i["pk"]["S"] for i in page["Items"]]
        return found

    # Then each query applies its own values, and the string was cut into tokens once
    assert matching("0", "2") == ["lex1"]
    assert matching("4", "9") == ["lex2"]
    after = info()
    assert after.misses - before.misses == 1
    assert after.hits - before.hits >= 3  # moto parses a filter twice a query: check, then use
    # And an expression that does not lex is refused each time, as moto refuses it
    refused_each_time(
        dynamodb,
        "Cannot parse condition starting at:; drop",
        KeyConditionExpression="pk = :pk",
        FilterExpression="n = :pk ; drop",
        ExpressionAttributeValues={":pk": {"S": "lex1"}},
    )


def test_model_objects_are_not_kept_once_nothing_uses_them(dynamodb: Any) -> None:
    from moto.dynamodb.models.dynamo_type import Item

    # Given moto's items (each a tracked BaseModel in moto itself)
    before = len(Item.instances_tracked)  # type: ignore[attr-defined]
    # When 200 items are written, read and rewritten
    for n in range(200):
        dynamodb.put_item(TableName=TABLE, Item={**key(f"m{n}"), "n": {"N": str(n)}})
        dynamodb.put_item(TableName=TABLE, Item={**key(f"m{n}"), "n": {"N": str(n + 1)}})
        item(dynamodb, f"m{n}")
    # Then no list of every item ever made grows: the table alone holds what is stored
    assert len(Item.instances_tracked) == before  # type: ignore[attr-defined]
    assert item(dynamodb, "m199") == {**key("m199"), "n": {"N": "200"}}


def test_a_finished_execution_keeps_its_history_and_drops_its_interpreter(
    moto_as_local: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import time

    from moto.core.config import default_user_config
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends
    from moto.stepfunctions.parser.utils import TMP_THREADS

    monkeypatch.setitem(default_user_config, "stepfunctions", {"execute_state_machine": True})
    sfn = boto3.client("stepfunctions")
    # Given a state machine of two Pass states
    definition = {
        "StartAt": "One",
        "States": {"One": {"Type": "Pass", "Next": "Two"}, "Two": {"Type": "Pass", "End": True}},
    }
    machine = sfn.create_state_machine(
        name="costs-test",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )["stateMachineArn"]
    # When an execution runs to its end
    arn = sfn.start_execution(stateMachineArn=machine, name="e1", input="{}")["executionArn"]
    deadline = time.monotonic() + 30
    while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # Then its history is there, its interpreter's environment is not, nor its thread
    events = sfn.get_execution_history(executionArn=arn)["events"]
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e
    ]
    assert entered == ["One", "Two"]
    assert events[-1]["type"] == "ExecutionSucceeded"
    backend = stepfunctions_parser_backends["123456789012"]["us-east-1"]
    (execution,) = [e for m in backend.state_machines for e in m.executions]
    assert isinstance(execution.exec_worker.env, moto_costs.FinishedEnvironment)
    # kept packed, one bytes object, and read again as often as asked
    assert isinstance(execution.exec_worker.env.event_manager.packed, bytes)
    assert sfn.get_execution_history(executionArn=arn)["events"] == events
    assert not [t for t in TMP_THREADS if not t.is_alive()]


def test_a_states_json_paths_are_parsed_once_and_still_pick_and_place_values(
    moto_as_local: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from jsonpath_ng.parser import JsonPathParser
    from moto.core.config import default_user_config

    monkeypatch.setitem(default_user_config, "stepfunctions", {"execute_state_machine": True})
    parsers: list[str] = []
    make_parser = JsonPathParser.__init__

    def counted(parser: Any, *args: Any, **kwargs: Any) -> None:
        parsers.append(type(parser).__name__)
        make_parser(parser, *args, **kwargs)

    monkeypatch.setattr(JsonPathParser, "__init__", counted)
    sfn = boto3.client("stepfunctions")
    # Given a state that picks its input, builds parameters from paths and places its result
    nonce = uuid.uuid4().hex  # paths no earlier test parsed
    definition = {
        "StartAt": "Pick",
        "States": {
            "Pick": {
                "Type": "Pass",
                "InputPath": f"$.in_{nonce}",
                "Parameters": {"ticket.$": "$.ticket", "who.$": "$.people[1]"},
                "ResultPath": f"$.out_{nonce}",
                "End": True,
            }
        },
    }
    machine = sfn.create_state_machine(
        name=f"paths-{nonce[:8]}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )["stateMachineArn"]

    def run(name: str, ticket: str) -> tuple[dict[str, Any], int]:
        made = len(parsers)
        document = {f"in_{nonce}": {"ticket": ticket, "people": ["ann", "bo"]}}
        arn = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(document))[
            "executionArn"
        ]
        deadline = time.monotonic() + 30
        while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert described["status"] == "SUCCEEDED", described
        return json.loads(described["output"]), len(parsers) - made

    # When it runs twice
    first, parsed_first = run("first", "T-1")
    second, parsed_second = run("second", "T-2")

    # Then each run placed its own values where the paths say
    assert first[f"out_{nonce}"] == {"ticket": "T-1", "who": "bo"}
    assert second[f"out_{nonce}"] == {"ticket": "T-2", "who": "bo"}
    # and the paths were parsed by the first run only
    assert parsed_first > 0
    assert parsed_second == 0


def test_concurrent_records_share_flushes_and_all_are_durable_in_order(tmp_path: Path) -> None:
    # Given a journal, and 8 threads each appending 25 records and waiting for each to be durable
    journal = Journal(tmp_path, 0)
    order_lock = threading.Lock()
    appended: list[int] = []

    def writer(thread: int) -> None:
        for n in range(25):
            with order_lock:  # the emulator's lock: records keep the order calls were served in
                position = journal.append({"thread": thread, "n": n})
                appended.append(thread * 100 + n)
            journal.sync(position)
            assert journal.durable >= position

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    journal.close()
    # Then the file holds every record, in the order they were appended
    records = [r["thread"] * 100 + r["n"] for r in Journal.records(tmp_path, 0)]
    assert records == appended
    assert len(records) == 200


def test_a_definition_is_parsed_once_and_its_program_made_once_with_its_keys_drawn() -> None:
    import json

    from moto.stepfunctions.parser.asl.parse.asl_parser import ASLParserException

    # Given a state machine definition not seen before, with a retried task
    definition = json.dumps(
        {
            "Comment": f"parsed once {uuid.uuid4()}",
            "StartAt": "Only",
            "States": {
                "Only": {
                    "Type": "Task",
                    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                    "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
                    "End": True,
                }
            },
        }
    )
    before = moto_costs._parse_tree.cache_info()

    # When two executions of it ask for their programs
    first, first_tree = moto_costs.parse_definition(definition)
    second, second_tree = moto_costs.parse_definition(definition)

    # Then ANTLR parsed it once and the program was made once
    after = moto_costs._parse_tree.cache_info()
    assert after.misses - before.misses == 1
    assert first_tree is second_tree
    assert first is second
    assert type(first).__name__ == "Program"
    # and every component's heap key (its counts' key in an execution's environment) is drawn
    components = moto_costs._components(first)
    kinds = {type(c).__name__ for c in components}
    assert {"Program", "StateTaskLambda", "RetrierDecl", "MaxAttemptsDecl"} <= kinds
    assert all(c._EvalComponent__heap_key is not None for c in components)
    # and a definition that does not parse is refused each time, as moto refuses it
    for _ in range(2):
        with pytest.raises(ASLParserException):
            moto_costs.parse_definition('{"StartAt": ')


def test_executions_that_share_a_program_each_go_their_own_way(
    moto_as_local: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from moto.core.config import default_user_config

    monkeypatch.setitem(default_user_config, "stepfunctions", {"execute_state_machine": True})
    sfn = boto3.client("stepfunctions")
    # Given a machine that waits, then chooses on its input: a result, or a failure
    nonce = uuid.uuid4().hex[:8]
    definition = {
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Which"},
            "Which": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThan": 4, "Next": "Big"}],
                "Default": "Small",
            },
            "Big": {
                "Type": "Pass",
                "Parameters": {"size": "big", "n.$": "$.n"},
                "End": True,
            },
            "Small": {
                "Type": "Fail",
                "Error": "Small",
                "Cause": "too small",
            },
        },
    }
    machine = sfn.create_state_machine(
        name=f"shared-{nonce}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )["stateMachineArn"]

    # When ten executions run at once on the one program
    arns = {
        n: sfn.start_execution(stateMachineArn=machine, name=f"e{n}", input=json.dumps({"n": n}))[
            "executionArn"
        ]
        for n in range(10)
    }
    deadline = time.monotonic() + 60
    described = {}
    for n, arn in arns.items():
        while (found := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        described[n] = found

    # Then each ended by its own input
    for n, found in described.items():
        if n > 4:
            assert found["status"] == "SUCCEEDED", found
            assert json.loads(found["output"]) == {"size": "big", "n": n}
        else:
            assert found["status"] == "FAILED", found
            assert found.get("error") == "Small"


def test_item_answers_are_the_json_the_shape_walk_makes(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from moto.dynamodb.responses import DynamoHandler

    # Given every item-level answer also made the way moto makes it (the shape walk)
    fast = DynamoHandler.serialized
    walk = moto_costs.unwrapped(fast)
    compared: dict[str, int] = {}
    made = moto_costs.as_moto_made
    converted: list[str] = []  # the item answers made from moto's conversion of the answer
    monkeypatch.setattr(
        moto_costs, "as_moto_made", lambda result: converted.append("x") or made(result)
    )
    answered: list[tuple[str, bool]] = []  # per DynamoResult: made from it as kept?

    def both(handler: Any, action_result: Any) -> Any:
        before = len(converted)
        answer = fast(handler, action_result)
        if handler._get_action() in moto_costs.ITEM_OPERATIONS:
            if "_raw" in vars(action_result):
                answered.append((handler._get_action(), len(converted) == before))
            as_moto = made(action_result) if "_raw" in vars(action_result) else action_result
            expected = walk(handler, as_moto)
            assert (answer[0], json.loads(answer[2])) == (expected[0], json.loads(expected[2]))
            assert answer[1]["Content-Type"] == expected[1]["Content-Type"]
            compared[handler._get_action()] = compared.get(handler._get_action(), 0) + 1
        return answer

    monkeypatch.setattr(DynamoHandler, "serialized", both)
    full = {
        **key("p1", "A"),
        "n": {"N": "1.50"},
        "b": {"B": b"\x00\xff"},
        "bs": {"BS": [b"\x01", b"\x02"]},
        "ns": {"NS": ["1", "2.5"]},
        "ss": {"SS": ["x", "y"]},
        "l": {"L": [{"S": "z"}, {"NULL": True}, {"BOOL": False}, {"M": {"k": {"N": "3"}}}]},
        "m": {"M": {"bin": {"B": b"\x05"}, "bins": {"L": [{"B": b"\x06"}, {"BS": [b"\x07"]}]}}},
        "status": {"S": "open"},
    }

    # When each operation answers items of every type, pages, and nothing
    dynamodb.put_item(TableName=TABLE, Item=full, ReturnConsumedCapacity="TOTAL")
    dynamodb.put_item(TableName=TABLE, Item={**key("p1", "B"), "status": {"S": "open"}})
    dynamodb.get_item(TableName=TABLE, Key=key("p1", "A"))
    dynamodb.get_item(TableName=TABLE, Key=key("missing"))
    page = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p1"}},
        Limit=1,
    )
    assert "LastEvaluatedKey" in page
    dynamodb.query(
        TableName=TABLE,
        IndexName="ByStatus",
        KeyConditionExpression="#s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "open"}},
        ProjectionExpression="pk, n",
    )
    dynamodb.scan(TableName=TABLE)
    dynamodb.update_item(
        TableName=TABLE,
        Key=key("p1", "A"),
        UpdateExpression="SET z = :z",
        ExpressionAttributeValues={":z": {"B": b"\x07"}},
        ReturnValues="ALL_NEW",
    )
    dynamodb.delete_item(TableName=TABLE, Key=key("p1", "B"), ReturnValues="ALL_OLD")
    dynamodb.batch_get_item(RequestItems={TABLE: {"Keys": [key("p1", "A"), key("nope")]}})
    dynamodb.batch_write_item(RequestItems={TABLE: [{"PutRequest": {"Item": key("p2")}}]})
    dynamodb.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": key("p2")}}])
    dynamodb.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": key("p3")}}])
    dynamodb.describe_table(TableName=TABLE)  # a table answer: the shape walk's, not compared
    plain = len(answered)
    stored_json = {"S": '{"group": null, "tags": [null, []]}'}  # what tickets keep
    dynamodb.put_item(TableName=TABLE, Item={**key("p4"), "sla": stored_json})
    dynamodb.get_item(TableName=TABLE, Key=key("p4"))
    dynamodb.put_item(TableName=TABLE, Item={**key("p5"), "text": {"S": 'say "null"'}})
    dynamodb.get_item(TableName=TABLE, Key=key("p5"))

    # Then each answer was what moto's own serializer makes of it
    assert set(compared) == moto_costs.ITEM_OPERATIONS
    # And every DynamoDB result was answered without moto's conversion of it, a ticket's JSON
    # with nulls in a string too (BatchWriteItem and TransactWriteItems answer plain dicts)
    assert {action for action, _ in answered[:plain]} == moto_costs.ITEM_OPERATIONS - {
        "BatchWriteItem",
        "TransactWriteItems",
    }
    assert [fast for _, fast in answered] == [True] * (plain + 4)
    # And a None in a structure member below the top of an answer (moto puts none in item
    # answers: made here) is read by botocore as the member left out, as from moto's walk
    import botocore.parsers
    import botocore.session
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.responses import DynamoResult

    class Handler(DynamoHandler):
        def __init__(self) -> None:
            super().__init__()
            self.headers = {"Content-Type": "application/x-amz-json-1.0"}
            self.response_headers: dict[str, str] = {}

        def _get_action(self) -> str:
            return "Query"

    def query_answer(result: Any) -> Any:
        shape = botocore.session.get_session().get_service_model("dynamodb")
        output = shape.operation_model("Query").output_shape
        body = {"status_code": 200, "headers": {}, "body": result[2].encode()}
        return botocore.parsers.create_parser("json").parse(body, output)

    def answer() -> Any:
        value = DynamoType({"S": '{"group": null}'})
        return DynamoResult({"Items": [{"a": value}], "ConsumedCapacity": {"CapacityUnits": None}})

    ours = fast(Handler(), answer())
    assert query_answer(ours) == query_answer(walk(Handler(), made(answer())))
    assert json.loads(ours[2])["Items"] == [{"a": {"S": '{"group": null}'}}]
    # And binary values moto holds as the base64 they came in as are written as its walk does
    from moto.dynamodb.models.utilities import dynamo_to_dict

    # ("AR==" is base64 for \x01 as well as "AQ==": the walk decodes it and writes "AQ==")
    for value in ({"B": "AR=="}, {"B": b"\x00"}, {"BS": ["AR==", b"\x02"]}, {"L": [{"B": "Bw=="}]}):
        typed = {"v": DynamoType(value)}
        ours = json.dumps(typed, default=moto_costs._answer_default())
        assert ours == json.dumps(moto_costs.json_ready(dynamo_to_dict(typed))), value
    assert item(dynamodb, "p1")["b"] == {"B": b"\x00\xff"}  # type: ignore[index]


def test_requests_arriving_together_share_one_router_made_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from moto.core import routing

    # Given a fresh stack's router lookup, and moto's REST router counting what it compiles
    router_for = moto_costs.service_router(moto_costs.unwrapped(routing.get_service_router))
    made: list[str] = []
    compile_map = routing.RestRouter.__init__

    def counting(router: Any, service: Any) -> None:
        made.append(service.service_name)
        compile_map(router, service)

    monkeypatch.setattr(routing.RestRouter, "__init__", counting)

    # When eight requests for Lambda (as eight Step Functions tasks) arrive at once
    start = threading.Barrier(8)
    routers: list[Any] = []

    def request() -> None:
        start.wait()
        routers.append(router_for("lambda"))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then they share one router, whose URL map was compiled once, before any of them used it
    assert len(routers) == 8
    assert all(router is routers[0] for router in routers)
    assert made == ["lambda"]
    assert "rest-json" in routers[0]._routers


def test_a_response_classs_methods_are_listed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import inspect

    from moto.core import utils
    from moto.dynamodb.responses import DynamoHandler
    from moto.s3.responses import S3Response

    # Given moto's listing of a class's methods, counting its walks of the class
    walks: list[object] = []
    getmembers = inspect.getmembers

    def counted(owner: object, predicate: Any = None) -> Any:
        walks.append(owner)
        return getmembers(owner, predicate)

    monkeypatch.setattr(inspect, "getmembers", counted)
    listed = moto_costs.listed_once(utils.method_names_from_class)
    # When two classes' methods are asked for three times each
    answers = [listed(c) for c in (DynamoHandler, S3Response) * 3]
    # Then each class was walked once, and the answers are moto's own
    assert walks == [DynamoHandler, S3Response]
    assert answers[0] == answers[2] == answers[4] == utils.method_names_from_class(DynamoHandler)
    assert "transact_write_items" in answers[0]
    assert answers[1] == utils.method_names_from_class(S3Response)


def test_an_update_expression_is_parsed_once_and_its_tree_never_changed_by_an_update(
    dynamodb: Any,
) -> None:
    import pickle

    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    counters = "ADD #n :one SET #l = list_append(if_not_exists(#l, :empty), :more)"
    names = {"#n": "n", "#l": "l"}
    values = {":one": {"N": "1"}, ":empty": {"L": []}, ":more": {"L": [{"S": "x"}]}}
    pristine = pickle.dumps(UpdateExpressionParser.make(counters))

    # When the same expression updates a new item, then that item twice, in and out of
    # transactions (a new item's update runs the tree through the validator twice)
    dynamodb.update_item(
        TableName=TABLE,
        Key=key("count"),
        UpdateExpression=counters,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )
    for _ in range(2):
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": key("count"),
                        "UpdateExpression": counters,
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values,
                    }
                }
            ]
        )

    # Then every update counted, each appended once
    assert item(dynamodb, "count") == {
        **key("count"),
        "n": {"N": "3"},
        "l": {"L": [{"S": "x"}] * 3},
    }
    # And the parser answers with one tree, as it was first made
    assert UpdateExpressionParser.make(counters) is UpdateExpressionParser.make(counters)
    assert pickle.dumps(UpdateExpressionParser.make(counters)) == pristine
    # And an expression that does not parse is refused each time, as moto refuses it
    for _ in range(2):
        with pytest.raises(dynamodb.exceptions.ClientError):
            dynamodb.update_item(
                TableName=TABLE,
                Key=key("count"),
                UpdateExpression="ADD",
                ExpressionAttributeValues=values,
            )


@pytest.mark.parametrize("apart", [True, False], ids=["by a forked child", "in-process"])
def test_a_snapshot_is_taken_once_enough_calls_are_journaled_and_never_when_idle(
    tmp_path: Path, apart: bool
) -> None:
    from tessera_local.emulator import Autosave, Emulator

    # Given an emulator with its first snapshot, saving every 3 journaled calls
    emulator = Emulator(tmp_path)
    emulator.start_journal()
    emulator.save()
    first = emulator.snapshot_path.stat().st_mtime_ns
    autosave = Autosave(emulator, interval=0.01, every=3, apart=apart)
    autosave.start()
    try:
        # When it idles, then 2 calls are journaled: no snapshot
        assert emulator.journal is not None
        for n in range(2):
            emulator.journal.append({"n": n})
        autosave.stopped.wait(0.2)
        assert emulator.snapshot_path.stat().st_mtime_ns == first
        assert emulator.journaled_since_save() == 2
        # When a third is: a snapshot, and the count starts again
        emulator.journal.append({"n": 2})
        # (the count starts again when the journal turns, before the snapshot is on disk)
        deadline = time.monotonic() + 10
        while emulator.snapshot_path.stat().st_mtime_ns == first and time.monotonic() < deadline:
            time.sleep(0.01)
        assert emulator.snapshot_path.stat().st_mtime_ns != first
        assert emulator.journaled_since_save() == 0
    finally:
        autosave.stopped.set()
        autosave.join()
        emulator.close()


def test_a_snapshot_a_forked_child_writes_holds_the_state_and_a_failed_one_keeps_the_journal(
    dynamodb: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tessera_local.emulator import Emulator

    def journals() -> list[str]:
        return sorted(path.name for path in tmp_path.glob("aws-journal.*"))

    # Given an emulator with a stored item, its journal in its first generation
    emulator = Emulator(tmp_path)
    emulator.start_journal()
    dynamodb.put_item(TableName=TABLE, Item={**key("kept"), "n": {"N": "1"}})
    assert journals() == ["aws-journal.0"]
    # When a forked child writes a snapshot
    assert emulator.save_apart(threading.Event(), timeout=60) is None
    # Then the journal before it is gone, and the snapshot holds the item
    assert journals() == ["aws-journal.1"]
    dynamodb.delete_item(TableName=TABLE, Key=key("kept"))
    emulator.restore()
    assert item(dynamodb, "kept") == {**key("kept"), "n": {"N": "1"}}
    # When a child fails to write one (a full disk, say)
    snapshot = emulator.snapshot_path.read_bytes()
    generations = journals()

    def no_space(payload: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(emulator, "_write_snapshot", no_space)
    failed = emulator.save_apart(threading.Event(), timeout=60)
    # Then the parent hears it, the last snapshot stands, and no journal was let go
    assert failed == "the child ended with 1"
    assert emulator.snapshot_path.read_bytes() == snapshot
    assert set(generations) < set(journals())
    emulator.close()


def test_a_snapshot_leaves_stored_items_without_attribute_dicts_and_restores_them(
    dynamodb: Any, tmp_path: Path
) -> None:
    import gc

    from moto.dynamodb.models import dynamodb_backends

    from tessera_local.emulator import Emulator

    def has_dict(value: object) -> bool:
        """Whether ``value`` was given its own ``__dict__`` (asking for it would make it): a
        dict among what it refers to whose keys are its attribute names (none for an
        attribute map; no value here is an empty map)."""
        made = ({"type", "value"}, {"hash_key", "range_key", "attrs"}, set())
        return any(type(r) is dict and set(r) in made for r in gc.get_referents(value))

    # Given stored items with plain, list and map attributes
    emulator = Emulator(tmp_path)
    emulator.start_journal()
    stored = {
        **key("snap"),
        "status": {"S": "open"},
        "tags": {"L": [{"S": "a"}, {"N": "2"}]},
        "who": {"M": {"name": {"S": "Ann"}, "vip": {"BOOL": True}}},
        "blob": {"B": b"\x00\x01"},
    }
    dynamodb.put_item(TableName=TABLE, Item=stored)
    dynamodb.put_item(TableName=TABLE, Item={**key("snap", "B"), "status": {"S": "closed"}})
    table = dynamodb_backends["123456789012"]["us-east-1"].tables[TABLE]
    items = [i for partition in table.items.values() for i in partition.values()]
    assert len(items) == 2
    assert not any(has_dict(i) or has_dict(i.attrs) for i in items)
    # When a snapshot is written
    emulator.save()
    # Then no item, attribute map or typed value was given a __dict__ by it
    assert not any(has_dict(i) or has_dict(i.attrs) for i in items)
    assert not any(has_dict(v) for i in items for v in i.attrs.values())
    # and the snapshot restores them as they were, the size limit still checked on a write
    dynamodb.delete_item(TableName=TABLE, Key=key("snap"))
    emulator.restore()
    assert item(dynamodb, "snap") == stored
    assert item(dynamodb, "snap", "B") == {**key("snap", "B"), "status": {"S": "closed"}}
    with pytest.raises(dynamodb.exceptions.ClientError, match="maximum allowed size"):
        dynamodb.update_item(
            TableName=TABLE,
            Key=key("snap"),
            UpdateExpression="SET big = :big",
            ExpressionAttributeValues={":big": {"S": "x" * 410_000}},
        )
    emulator.close()


def test_stream_records_are_kept_packed_and_read_as_dynamodb_streams_answers_them(
    moto_as_local: None, tmp_path: Path
) -> None:
    from moto.dynamodb.models import dynamodb_backends

    from tessera_local.emulator import Emulator

    client = boto3.client("dynamodb")
    client.create_table(
        TableName="streamed",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    # Given an item put, then changed
    client.put_item(TableName="streamed", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    client.update_item(
        TableName="streamed",
        Key={"pk": {"S": "a"}},
        UpdateExpression="SET n = :two, tags = :tags",
        ExpressionAttributeValues={":two": {"N": "2"}, ":tags": {"SS": ["x", "y"]}},
    )
    # Then the shard holds two packed records
    shard = dynamodb_backends["123456789012"]["us-east-1"].tables["streamed"].stream_shard
    assert [type(r).__name__ for r in shard.items] == ["PackedStreamRecord"] * 2

    def images() -> list[tuple[str, Any, Any]]:
        streams = boto3.client("dynamodbstreams")
        arn = client.describe_table(TableName="streamed")["Table"]["LatestStreamArn"]
        shard_id = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard_id["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = streams.get_records(ShardIterator=iterator)["Records"]
        return [
            (r["eventName"], r["dynamodb"].get("OldImage"), r["dynamodb"].get("NewImage"))
            for r in records
        ]

    # and DynamoDB Streams answers them as the records moto made
    expected = [
        ("INSERT", None, {"pk": {"S": "a"}, "n": {"N": "1"}}),
        (
            "MODIFY",
            {"pk": {"S": "a"}, "n": {"N": "1"}},
            {"pk": {"S": "a"}, "n": {"N": "2"}, "tags": {"SS": ["x", "y"]}},
        ),
    ]
    assert images() == expected
    # and so after a snapshot and a restore
    emulator = Emulator(tmp_path)
    emulator.start_journal()
    emulator.save()
    emulator.restore()
    assert images() == expected
    emulator.close()


def test_an_item_is_sized_once_and_the_size_limit_still_holds(dynamodb: Any) -> None:
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict

    # Given moto's per-attribute size check, counting the attributes it sizes
    sized: list[str] = []
    size = DynamoType.size

    def counted(value: DynamoType) -> int:
        sized.append(value.type)
        return size(value)

    DynamoType.size = counted  # type: ignore[method-assign]
    try:
        # When an item of 40 attributes is put
        attributes = {f"a{i}": {"S": "x" * 10} for i in range(40)}
        dynamodb.put_item(TableName=TABLE, Item={**key("SIZED"), **attributes})
        puts = len(sized)
    finally:
        DynamoType.size = size  # type: ignore[method-assign]
    # Then each attribute was sized about once (moto's own check sizes 40 * 41 / 2 of them)
    assert puts < 3 * 42, puts
    assert item(dynamodb, "SIZED") == {**key("SIZED"), **attributes}
    # And an item over DynamoDB's limit is still refused, as moto refuses it, and not stored
    with pytest.raises(dynamodb.exceptions.ClientError, match="maximum allowed size"):
        dynamodb.put_item(TableName=TABLE, Item={**key("HUGE"), "big": {"S": "x" * 410_000}})
    assert item(dynamodb, "HUGE") is None
    # And a later write to a stored item is still checked attribute by attribute
    stored = LimitedSizeDict()
    stored["b0"] = stored["b1"] = DynamoType({"S": "y" * 200_000})
    with pytest.raises(ItemSizeTooLarge):
        stored["b2"] = DynamoType({"S": "y" * 200_000})


# (update expression, names, values): each with the item "UPD" as UPDATE_START left it.
UPDATE_START = {"s": {"S": "text"}, "m": {"M": {"x": {"N": "1"}}}, "tags": {"SS": ["a", "b"]}}
UPDATES = [
    (
        "ADD #n :one SET #t = :t, expires_at = :e",
        {"#n": "n", "#t": "t"},
        {":one": {"N": "1"}, ":t": {"S": "auto"}, ":e": {"N": "9"}},
    ),
    (
        "SET #l = list_append(if_not_exists(#l, :empty), :more) REMOVE s",
        {"#l": "l"},
        {":empty": {"L": []}, ":more": {"L": [{"S": "x"}]}},
    ),
    (
        "SET m.x = m.x + :one, m.y = :t DELETE tags :a",
        None,
        {":one": {"N": "1"}, ":t": {"S": "y"}, ":a": {"SS": ["a"]}},
    ),
    ("SET #a = :t, #a = :t", {"#a": "a"}, {":t": {"S": "y"}}),  # the same path twice
    ("SET a = :t, a.b = :t", None, {":t": {"S": "y"}}),  # overlapping paths
    ("SET a = :t SET b = :t", None, {":t": {"S": "y"}}),  # two SET clauses
    ("SET pk = :t", None, {":t": {"S": "y"}}),  # a key attribute
    ("SET #missing = :t", {"#other": "o"}, {":t": {"S": "y"}}),  # a name not defined
    ("SET a = :absent", None, {":t": {"S": "y"}}),  # a value not defined
    ("ADD s :one", None, {":one": {"N": "1"}}),  # a number added to a string
    ("SET q = nope.x + :one", None, {":one": {"N": "1"}}),  # a path that does not exist
    ("SET m.x = :empty", None, {":empty": {"S": ""}}),
]


def _updated(client: Any, pk: str) -> list[Any]:
    """Each of UPDATES on a fresh copy of the item: the item after it, or the error."""
    outcomes: list[Any] = []
    for i, (expression, names, values) in enumerate(UPDATES):
        target = key(pk, str(i))
        client.put_item(TableName=TABLE, Item={**target, **UPDATE_START})
        call = {"TableName": TABLE, "Key": target, "UpdateExpression": expression}
        call |= {"ExpressionAttributeValues": values} | (
            {"ExpressionAttributeNames": names} if names else {}
        )
        try:
            client.update_item(**call)
        except client.exceptions.ClientError as error:
            outcomes.append(error.response["Error"])
        else:
            found = item(client, pk, str(i))
            outcomes.append({k: v for k, v in (found or {}).items() if k not in ("pk", "sk")})
    return outcomes


def test_an_update_is_validated_as_moto_validates_it_with_each_traversers_kinds_found_once(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node

    # Given moto's traversers, counting how often one is asked which nodes it processes
    asked: list[type] = []
    listed = DepthFirstTraverser.nodes_to_be_processed

    def counted(traverser: Any) -> Any:
        asked.append(type(traverser))
        return listed(traverser)

    monkeypatch.setattr(DepthFirstTraverser, "nodes_to_be_processed", counted)
    monkeypatch.setattr(moto_costs, "_KINDS", {})

    # When each update (valid ones and ones DynamoDB refuses) runs with the replacements
    ours = _updated(dynamodb, "OURS")

    # Then each traverser class was asked once, not once a node or once an update
    assert asked
    assert len(asked) == len(set(asked)), asked
    # And every outcome is moto's own: with its walk and search, the same items and errors
    monkeypatch.setattr(DepthFirstTraverser, "traverse", DepthFirstTraverser.traverse.__wrapped__)
    monkeypatch.setattr(Node, "find_clauses", Node.find_clauses.__wrapped__)
    assert ours == _updated(dynamodb, "MOTO")
    assert sum("Code" in outcome for outcome in ours) >= 7  # the refusals were refused
    counted_one = {"n": {"N": "1"}, "t": {"S": "auto"}, "expires_at": {"N": "9"}}
    assert ours[0] == {**UPDATE_START, **counted_one}


def test_the_node_kinds_a_traverser_processes_are_classes_named_in_its_code() -> None:
    """What traversed_by_kind and clauses_found_by_kind rely on, for a moto upgrade to break
    here rather than quietly: each traverser's processing map is a dict of classes named in
    its code (the same for every instance), and the node classes they test have no virtual
    subclasses (so a node's class answers what isinstance would)."""
    import abc
    import ast
    import inspect
    import textwrap

    from moto.dynamodb.parsing import ast_nodes, validators

    traversers = [
        cls
        for cls in vars(validators).values()
        if isinstance(cls, type)
        and issubclass(cls, ast_nodes.DepthFirstTraverser)
        and cls is not ast_nodes.DepthFirstTraverser
    ]
    assert len(traversers) >= 10
    for cls in traversers:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls._processing_map)))
        returns = [node for node in ast.walk(tree) if isinstance(node, ast.Return)]
        assert len(returns) == 1, cls
        assert isinstance(returns[0].value, ast.Dict), cls
        keys = returns[0].value.keys
        assert keys, cls
        assert all(isinstance(k, ast.Name) for k in keys), cls
    for cls in (ast_nodes.Node, ast_nodes.Expression, ast_nodes.UpdateExpressionFunction):
        registry = abc._get_dump(cls)[0]  # type: ignore[attr-defined]
        assert not registry, (cls, registry)


def test_a_query_sizes_each_item_once_and_still_ends_its_page_at_one_megabyte(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.models.dynamo_type import Item

    # Given five items of 300 KB in one partition, and moto's sizing of an item counted
    for i in range(5):
        dynamodb.put_item(TableName=TABLE, Item={**key("BIG", f"{i}"), "x": {"S": "x" * 300_000}})
    sized: list[int] = []
    size = moto_costs.unwrapped(Item.size)
    monkeypatch.setattr(
        Item, "size", moto_costs.sized_once_a_query(lambda item: sized.append(1) or size(item))
    )

    # When the partition is read, page by page
    pages, start = [], None
    while True:
        page = dynamodb.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "BIG"}},
            **({"ExclusiveStartKey": start} if start else {}),
        )
        pages.append([found["sk"]["S"] for found in page["Items"]])
        start = page.get("LastEvaluatedKey")
        if start is None:
            break

    # Then the first page ended before its size passed 1 MB, and every item came once
    assert pages == [["0", "1", "2"], ["3", "4"]]
    # And each item a page read was sized once (moto sizes each twice, and the one that would
    # pass the limit once more)
    assert len(sized) == 3 + 1 + 2, len(sized)


def test_a_filter_is_parsed_once_per_expression_and_values_and_still_decides(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb import comparisons
    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models import table as table_module

    # Given a fresh cache of parsed filters, and items of two kinds in one partition
    filtered = moto_costs.filter_parsed_once(comparisons.get_filter_expression)
    monkeypatch.setattr(dynamodb_models, "get_filter_expression", filtered)
    monkeypatch.setattr(table_module, "get_filter_expression", filtered)
    for sk, kind in (("1", "message"), ("2", "event"), ("3", "message")):
        dynamodb.put_item(TableName=TABLE, Item={**key("F", sk), "kind": {"S": kind}})

    def kinds(kind: str) -> list[str]:
        found = dynamodb.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :p",
            FilterExpression="#k IN (:k)",
            ExpressionAttributeNames={"#k": "kind"},
            ExpressionAttributeValues={":p": {"S": "F"}, ":k": {"S": kind}},
        )["Items"]
        return [item["sk"]["S"] for item in found]

    # When the same filter reads the partition three times with two values
    answers = [kinds("message"), kinds("event"), kinds("message")]

    # Then each read is filtered by its own values, and each filter was parsed once
    assert answers == [["1", "3"], ["2"], ["1", "3"]]
    info = filtered.cache_info()  # type: ignore[attr-defined]
    assert (info.misses, info.hits) == (2, 1)
    # And a write's condition still decides for the item it is evaluated on
    for _ in range(2):
        with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
            dynamodb.put_item(
                TableName=TABLE, Item=key("F", "1"), ConditionExpression="attribute_not_exists(pk)"
            )
    dynamodb.put_item(
        TableName=TABLE, Item=key("F", "9"), ConditionExpression="attribute_not_exists(pk)"
    )
    assert item(dynamodb, "F", "9") == key("F", "9")
    # And a filter that does not parse is refused each time
    refused_each_time(
        dynamodb,
        "Bad IN expression",
        KeyConditionExpression="pk = :p",
        FilterExpression="kind IN",
        ExpressionAttributeValues={":p": {"S": "F"}},
    )


def test_no_operator_of_a_parsed_filter_changes_itself_while_it_is_evaluated() -> None:
    """What filter_parsed_once relies on to share one operator tree between calls: apart from
    the parser, no method of moto's condition classes assigns to or changes its own attributes
    (checked on the source, for a moto upgrade to break here rather than quietly)."""
    import ast
    import inspect

    from moto.dynamodb import comparisons

    changes = []
    for node in ast.walk(ast.parse(inspect.getsource(comparisons))):
        if not isinstance(node, ast.ClassDef) or node.name == "ConditionExpressionParser":
            continue
        for method in (n for n in node.body if isinstance(n, ast.FunctionDef)):
            if method.name == "__init__":
                continue
            for part in ast.walk(method):
                targets = (
                    part.targets
                    if isinstance(part, ast.Assign)
                    else [part.target]
                    if isinstance(part, ast.AugAssign | ast.AnnAssign)
                    else [part.func.value]
                    if isinstance(part, ast.Call)
                    and isinstance(part.func, ast.Attribute)
                    and part.func.attr in ("append", "extend", "update", "pop", "clear", "insert")
                    else []
                )
                for target in targets:
                    if any(
                        isinstance(sub, ast.Name) and sub.id == "self" for sub in ast.walk(target)
                    ):
                        changes.append(f"{node.name}.{method.name}: {ast.unparse(part)[:60]}")
    assert changes == []

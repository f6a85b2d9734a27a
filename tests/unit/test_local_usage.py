"""The local stack's meter (tessera_local.usage): capacity units from item sizes, SES billed per
recipient, Lambda invocations with the template's memory and the log lines Lambda adds, the
traces an entry point starts."""

from __future__ import annotations

from typing import Any

import pytest

from tessera_local import iam
from tessera_local.template import Template
from tessera_local.usage import Meter, item_size


@pytest.fixture(scope="module")
def template() -> Template:
    return Template.load()


def test_item_sizes_follow_dynamodbs_rules() -> None:
    # Given an item with a string, a number, a boolean, a list and a map
    item = {
        "pk": {"S": "TICKET#01"},  # 2 + 9
        "n": {"N": "1234"},  # 1 + (2 + 1)
        "ok": {"BOOL": True},  # 2 + 1
        "l": {"L": [{"S": "ab"}]},  # 1 + 3 + (1 + 2)
        "m": {"M": {"k": {"S": "v"}}},  # 1 + 3 + (1 + 1 + 1)
    }

    # When it is measured, Then each attribute counts its name and its value
    assert item_size(item) == 11 + 4 + 3 + 7 + 7
    assert item_size(None) == 0


def test_a_transaction_costs_twice_the_write_units_of_its_items(template: Template) -> None:
    # Given a meter and a transaction putting a 1.5 KB item and a small one
    meter = Meter(template)
    big = {"pk": {"S": "A"}, "sk": {"S": "B"}, "body": {"S": "x" * 1500}}
    small = {"pk": {"S": "A"}, "sk": {"S": "C"}}
    params = {
        "TransactItems": [
            {"Put": {"TableName": "no-such-table", "Item": big}},
            {"Put": {"TableName": "no-such-table", "Item": small}},
        ]
    }

    # When the call is made through the meter
    meter.around_call("dynamodb", "TransactWriteItems", params, lambda: {})

    # Then it is one call and (2 + 1) x 2 write units
    usage = meter.snapshot()
    assert usage["calls"] == [
        {
            "function": "(stack)",
            "service": "dynamodb",
            "operation": "TransactWriteItems",
            "count": 1,
        }
    ]
    assert usage["amounts"]["dynamodb_write_units"] == 6


def test_reads_are_rounded_up_to_4_kb_and_halved_when_eventually_consistent(
    template: Template,
) -> None:
    meter = Meter(template)
    items = [{"pk": {"S": "x" * 3000}} for _ in range(3)]  # 9 KB read: 3 units, halved
    meter.around_call("dynamodb", "Query", {"TableName": "t"}, lambda: {"Items": items})
    meter.around_call("dynamodb", "GetItem", {"TableName": "t", "ConsistentRead": True}, lambda: {})
    amounts = meter.snapshot()["amounts"]
    assert amounts["dynamodb_read_units"] == 1.5 + 1
    assert amounts["dynamodb_items_read"] == 3


def test_ses_bills_each_recipient_and_the_bytes_sent(template: Template) -> None:
    meter = Meter(template)
    params: dict[str, Any] = {
        "Source": "support@example.com",
        "Destinations": ["lead@example.com", "manager@example.com"],
        "RawMessage": {"Data": b"x" * 700},
    }
    meter.around_call("ses", "SendRawEmail", params, lambda: {"MessageId": "1"})
    amounts = meter.snapshot()["amounts"]
    assert (amounts["ses_messages_out"], amounts["ses_bytes_out"]) == (2, 700)


def test_an_invocation_counts_its_time_memory_trace_and_log_lines(template: Template) -> None:
    # Given a meter, When API Gateway invokes the API function which logs one line
    meter = Meter(template)
    function = template.ref("ApiFunction")
    with iam.running("ApiFunction"):
        meter.logged(100)
    meter.invoked(function, {"httpMethod": "GET"}, 0.0123)
    # and a Step Functions task invokes the routing function (no trace of its own)
    meter.invoked(template.ref("RoutingFunction"), {"ticket_id": "t"}, 0.002)

    # Then the invocation is billed 13 ms at the template's 512 MB, via API Gateway, traced
    usage = meter.snapshot()
    api = usage["invocations"]["ApiFunction"]
    assert (api["count"], api["billed_ms"], api["memory_mb"], api["api_requests"]) == (
        1,
        13,
        512,
        1,
    )
    assert usage["amounts"]["xray_traces"] == 1
    # And its log bytes are the line plus Lambda's START, END and REPORT lines
    assert usage["log_bytes"]["ApiFunction"] > 100 + 150


def test_a_reset_starts_from_zero(template: Template) -> None:
    meter = Meter(template)
    meter.received(b"x" * 300 * 1024)
    assert meter.snapshot()["amounts"]["ses_chunks_in"] == 2  # 256 KB chunks
    meter.reset()
    assert meter.snapshot()["amounts"] == {}


def test_log_records_outside_a_function_are_not_counted(template: Template) -> None:
    meter = Meter(template)
    meter.logged(50)
    assert meter.snapshot()["log_bytes"] == {}


def test_a_stream_batch_is_traced_only_where_the_function_traces_actively(
    template: Template,
) -> None:
    # Given a meter, When the change feed hands a batch to a consumer without a trace of its
    # own (PassThrough) and a queue hands a message to an actively traced function
    meter = Meter(template)
    batch = {"Records": [{"eventSource": "aws:dynamodb", "dynamodb": {}}]}
    meter.invoked(template.ref("SearchIndexerFunction"), batch, 0.01)
    meter.invoked(template.ref("ApiFunction"), {"Records": [{"eventSource": "aws:sqs"}]}, 0.01)

    # Then only the traced function's invocation counts a trace (each is an entry point)
    assert meter.snapshot()["amounts"]["xray_traces"] == 1

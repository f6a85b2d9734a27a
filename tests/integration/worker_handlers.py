"""Handlers the worker-pool tests run in worker processes (imported there by name)."""

from __future__ import annotations

import os
from typing import Any

import boto3


def answer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"echo": event, "pid": os.getpid(), "function": context.function_name}


def fail(event: dict[str, Any], context: Any) -> None:
    raise LookupError(f"no ticket {event['ticket']}")


def read_and_count(event: dict[str, Any], context: Any) -> Any:
    """Read an item, then add 1 to its count."""
    dynamodb = boto3.client("dynamodb")
    key = {"pk": {"S": event["pk"]}, "sk": {"S": "A"}}
    item = dynamodb.get_item(TableName=event["table"], Key=key).get("Item")
    dynamodb.update_item(
        TableName=event["table"],
        Key=key,
        UpdateExpression="ADD n :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    return item


def die(event: dict[str, Any], context: Any) -> None:
    os._exit(3)

"""Lambda events as AWS delivers them (``*.json``), loaded by name, so handler tests start from
the real shapes: an SES receipt rule's Lambda action, an EventBridge Scheduler tick, the
routing and escalation state machines' task inputs."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


@cache
def _read(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))
    return data


def load(name: str, **fields: Any) -> dict[str, Any]:
    """A fresh copy of the event ``tests/events/<name>.json``, with top-level ``fields`` set."""
    event = copy.deepcopy(_read(name))
    event.update(fields)
    return event


def ses_inbound(
    message_id: str, *, recipients: tuple[str, ...] = ("support@example.com",)
) -> dict[str, Any]:
    """SES's event for one stored mail: the S3 key is the receipt rule's prefix + ``message_id``."""
    event = load("ses_inbound")
    ses = event["Records"][0]["ses"]
    ses["mail"]["messageId"] = message_id
    ses["mail"]["destination"] = list(recipients)
    ses["receipt"]["recipients"] = list(recipients)
    return event


def shape(value: Any) -> Any:
    """The keys and value types of an event, without the values: to compare two events' shapes."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__

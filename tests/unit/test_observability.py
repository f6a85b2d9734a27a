"""What each invocation logs carries its own function and ticket (tessera.observability), also
when the local stack runs several invocations at once in one process."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from tessera import observability


class Lines(logging.Handler):
    """The lines the Logger writes, formatted as it formats them (in the logging thread)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(observability.logger().registered_formatter)
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def logged() -> Iterator[list[dict[str, Any]]]:
    lines = Lines()
    underlying = observability.logger()._logger
    underlying.addHandler(lines)
    try:
        yield lines.lines
    finally:
        underlying.removeHandler(lines)


def test_invocations_running_at_once_log_their_own_function_and_ticket(
    logged: list[dict[str, Any]],
) -> None:
    # Given a handler that logs a line once every invocation running beside it has begun
    begun = threading.Barrier(2)

    @observability.observed(observability.ticket_id_field)
    def handler(event: dict[str, Any], _context: Any) -> None:
        begun.wait(timeout=10)
        observability.logger().info("working", extra={"step": event["step"]})

    def invoke(function: str, ticket: str) -> None:
        context = SimpleNamespace(function_name=function, aws_request_id=f"req-{ticket}")
        handler({"step": function, "ticket_id": ticket}, context)

    # When two functions' invocations run at once, each in its own thread
    threads = [
        threading.Thread(target=invoke, args=("IntakeFunction", "T-1")),
        threading.Thread(target=invoke, args=("RoutingFunction", "T-2")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then each line names its own invocation's function, request and ticket
    lines = [line for line in logged if line["message"] == "working"]
    assert len(lines) == 2
    seen = {(line["step"], line["function_name"], line["correlation_id"]) for line in lines}
    assert seen == {
        ("IntakeFunction", "IntakeFunction", "T-1"),
        ("RoutingFunction", "RoutingFunction", "T-2"),
    }
    assert {line["function_request_id"] for line in lines} == {"req-T-1", "req-T-2"}


def test_a_request_without_a_ticket_clears_the_previous_correlation_id() -> None:
    observability.set_correlation("T-9")
    assert observability.correlation_id() == "T-9"
    observability.set_correlation(None)
    assert observability.correlation_id() is None


def test_every_function_but_the_api_logs_with_its_own_invocation_keys() -> None:
    # (a handler that is not observed logs with whatever keys its thread last had: locally,
    # another function's invocation's)
    import importlib

    from tessera_local.template import Template

    template = Template.load()
    unobserved = []
    for logical_id in template.of_type("AWS::Serverless::Function"):
        module_name, _, attribute = template.function_properties(logical_id)["Handler"].rpartition(
            "."
        )
        handler = getattr(importlib.import_module(module_name), attribute)
        if module_name != "api.app" and not hasattr(handler, "__wrapped__"):
            unobserved.append(logical_id)
    assert unobserved == []

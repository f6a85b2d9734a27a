"""Lambda: automation timers run as one asynchronous invocation of the escalation function.

An automation (remind, close, survey) is one step; a Standard workflow around it would cost three
state transitions ($0.075 per 1,000) for what one invocation ($0.0002 per 1,000) does. Lambda
queues the event durably, retries it twice and then sends it to the function's dead-letter queue;
the step claims the timer first, so a repeat does nothing (docs/cost.md)."""

from __future__ import annotations

import json

from tessera.adapters.clients import client


class AsyncAutomations:
    def __init__(self, function_name: str) -> None:
        self.function_name = function_name

    def run(self, ticket_id: str, what: str) -> None:
        client("lambda").invoke(
            FunctionName=self.function_name,
            InvocationType="Event",
            Payload=json.dumps({"step": "automation", "ticket_id": ticket_id, "what": what}),
        )

"""SQS: the dead-letter queues where Lambda leaves the events of failed asynchronous invocations
(what ``tessera mail redrive`` reruns)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tessera.adapters.clients import client


@dataclass(frozen=True)
class DeadLetter:
    receipt_handle: str
    event: dict[str, Any]  # the invocation's event, as the function got it
    error: str  # why the last attempt failed (Lambda's ErrorMessage attribute)


class SqsDeadLetters:
    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def take(self, *, visibility_seconds: int = 300) -> Iterator[DeadLetter]:
        """Every message in the queue, each hidden from other readers while it is handled."""
        sqs = client("sqs")
        while True:
            batch = sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=0,
                VisibilityTimeout=visibility_seconds,
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not batch:
                return
            for message in batch:
                attributes = message.get("MessageAttributes", {})
                error = attributes.get("ErrorMessage", {}).get("StringValue", "")
                yield DeadLetter(message["ReceiptHandle"], json.loads(message["Body"]), error)

    def done(self, letter: DeadLetter) -> None:
        client("sqs").delete_message(QueueUrl=self.queue_url, ReceiptHandle=letter.receipt_handle)

"""Adapters to S3, Step Functions, SES and EventBridge (boto3), one small class per port.

boto3 is imported on first use, not at import time: a handler that never sends mail never pays
for the client. Clients honour ``AWS_ENDPOINT_URL``, which is how the local stack points them at
its emulator.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import cache
from typing import Any

from tessera import settings
from tessera.errors import NotFound


@cache
def client(service: str) -> Any:
    import boto3

    make_client: Any = boto3.client  # one getter for every service (stubs type each literal)
    return make_client(service, region_name=settings.region())


def read_object(bucket: str, key: str) -> bytes:
    """An S3 object's bytes; NotFound when there is no such key."""
    s3 = client("s3")
    try:
        body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        raise NotFound(f"s3://{bucket}/{key}") from None
    return body


class S3RawMailStore:
    """Raw MIME where the SES receipt rule's S3 action stored it."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def read(self, key: str) -> bytes:
        return read_object(self.bucket, key)


class StepFunctionsWorkflow:
    def __init__(self, routing_state_machine_arn: str) -> None:
        self.routing_state_machine_arn = routing_state_machine_arn

    def start_routing(self, ticket_id: str, *, reopening: int | None = None) -> bool:
        sfn = client("stepfunctions")
        # One execution per ticket (and per reopening): the name makes a repeated start a no-op.
        name = f"route-{ticket_id}" if reopening is None else f"route-{ticket_id}-r{reopening}"
        try:
            sfn.start_execution(
                stateMachineArn=self.routing_state_machine_arn,
                name=name,
                input=json.dumps({"ticket_id": ticket_id, "reopened": reopening is not None}),
            )
        except sfn.exceptions.ExecutionAlreadyExists:
            return False
        return True


class SesMailer:
    def send(
        self, *, sender: str, to: Sequence[str], subject: str, text: str, headers: dict[str, str]
    ) -> str:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = ", ".join(to)
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
        for name, value in headers.items():
            message[name] = value
        message.set_content(text)
        response = client("ses").send_raw_email(
            Source=sender, Destinations=list(to), RawMessage={"Data": message.as_bytes()}
        )
        return str(response["MessageId"])

    def send_raw(self, *, sender: str, to: Sequence[str], message: bytes) -> str:
        response = client("ses").send_raw_email(
            Source=sender, Destinations=list(to), RawMessage={"Data": message}
        )
        return str(response["MessageId"])


class S3AttachmentStore:
    """Ticket files in the attachments bucket, served later as downloads only."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def put(self, key: str, data: bytes, *, content_type: str, filename: str) -> None:
        from urllib.parse import quote

        client("s3").put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            # Stored as a download whatever the sender claimed: never rendered inline by S3.
            ContentType=content_type if "/" in content_type else "application/octet-stream",
            ContentDisposition=f"attachment; filename*=UTF-8''{quote(filename)}",
        )

    def get(self, key: str) -> bytes:
        return read_object(self.bucket, key)


class EventBridgePublisher:
    def __init__(self, bus_name: str) -> None:
        self.bus_name = bus_name

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        response = client("events").put_events(
            Entries=[
                {
                    "EventBusName": self.bus_name,
                    "Source": "tessera",
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail, default=str),
                }
            ]
        )
        if response.get("FailedEntryCount"):
            raise RuntimeError(f"EventBridge refused {detail_type}: {response['Entries']}")


class StepFunctionsEscalations:
    """Escalation executions, one per (ticket, target, cycle, level): the name makes a repeated
    start by the next sweep a no-op (Step Functions keeps names for 90 days)."""

    def __init__(self, state_machine_arn: str) -> None:
        self.state_machine_arn = state_machine_arn

    def start(self, ticket_id: str, what: str, due_at: datetime) -> bool:
        sfn = client("stepfunctions")
        try:
            sfn.start_execution(
                stateMachineArn=self.state_machine_arn,
                name=f"{ticket_id}-{what}"[:80],
                input=json.dumps({"ticket_id": ticket_id, "what": what}),
            )
        except sfn.exceptions.ExecutionAlreadyExists:
            return False
        return True


class SnsSms:
    """SMS to the on-call phones subscribed to one topic (filter policies on the attributes)."""

    def __init__(self, topic_arn: str) -> None:
        self.topic_arn = topic_arn

    def send(self, *, text: str, attributes: dict[str, str]) -> str:
        response = client("sns").publish(
            TopicArn=self.topic_arn,
            Message=text[:1600],
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value}
                for name, value in attributes.items()
            },
        )
        return str(response["MessageId"])


def signing_key(secret_arn: str) -> bytes:
    """The deployment's token-signing key from Secrets Manager."""
    value = client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    return str(value).encode()

"""Adapters to S3, Step Functions, SES and EventBridge (boto3), one small class per port.

boto3 is imported on first use, not at import time: a handler that never sends mail never pays
for the client. Clients honour ``AWS_ENDPOINT_URL``, which is how the local stack points them at
its emulator.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
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


class S3RawMailStore:
    """Raw MIME where the SES receipt rule's S3 action stored it."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def read(self, key: str) -> bytes:
        s3 = client("s3")
        try:
            body: bytes = s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            raise NotFound(f"s3://{self.bucket}/{key}") from None
        return body


class StepFunctionsWorkflow:
    def __init__(self, routing_state_machine_arn: str) -> None:
        self.routing_state_machine_arn = routing_state_machine_arn

    def start_routing(self, ticket_id: str) -> bool:
        sfn = client("stepfunctions")
        try:
            sfn.start_execution(
                stateMachineArn=self.routing_state_machine_arn,
                # One execution per ticket: the name makes a repeated start a no-op.
                name=f"route-{ticket_id}",
                input=json.dumps({"ticket_id": ticket_id}),
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


def signing_key(secret_arn: str) -> bytes:
    """The deployment's token-signing key from Secrets Manager."""
    value = client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    return str(value).encode()

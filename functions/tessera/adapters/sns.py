"""SNS: text messages to the on-call phones (:class:`tessera.ports.SmsSender`)."""

from __future__ import annotations

from tessera.adapters.clients import client


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

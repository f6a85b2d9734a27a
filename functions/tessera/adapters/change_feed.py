"""The tickets table's change feed (DynamoDB Streams), as Lambda's event source mapping delivers
it: a batch of records, oldest first, each with the item's keys and its images before and after.

Consumers (search, reports) read :class:`Change` values, never the stream's wire format, and must
be idempotent: a batch can arrive again (a retry, a restart of the local stack).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from boto3.dynamodb.types import TypeDeserializer

ChangeKind = Literal["INSERT", "MODIFY", "REMOVE"]

_DESERIALIZER = TypeDeserializer()


@dataclass(frozen=True)
class Change:
    """One item written or deleted: its keys, its attributes before (``old``, ``None`` for a new
    item) and after (``new``, ``None`` once deleted), and its place in the stream."""

    kind: ChangeKind
    keys: dict[str, Any]
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    sequence: str

    @property
    def image(self) -> dict[str, Any]:
        """The item as it is now, or as it was before its deletion."""
        return self.new if self.new is not None else (self.old or {})


def _plain(image: dict[str, Any] | None) -> dict[str, Any] | None:
    if image is None:
        return None
    return {name: _DESERIALIZER.deserialize(value) for name, value in image.items()}


def changes(event: dict[str, Any]) -> list[Change]:
    """The changes in a DynamoDB Streams event, in stream order."""
    found = []
    for record in event.get("Records", []):
        stream = record["dynamodb"]
        found.append(
            Change(
                kind=record["eventName"],
                keys=_plain(stream["Keys"]) or {},
                old=_plain(stream.get("OldImage")),
                new=_plain(stream.get("NewImage")),
                sequence=str(stream["SequenceNumber"]),
            )
        )
    return found

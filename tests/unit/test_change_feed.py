"""The change feed's records as consumers read them (tessera.adapters.change_feed)."""

from __future__ import annotations

from decimal import Decimal

from tessera.adapters.change_feed import changes


def test_a_stream_event_becomes_changes_with_plain_images_in_stream_order() -> None:
    # Given a DynamoDB Streams event with a new item and a deleted one
    event = {
        "Records": [
            {
                "eventName": "INSERT",
                "dynamodb": {
                    "Keys": {"pk": {"S": "T#1"}, "sk": {"S": "T"}},
                    "NewImage": {"pk": {"S": "T#1"}, "number": {"N": "1042"}},
                    "SequenceNumber": "101",
                },
            },
            {
                "eventName": "REMOVE",
                "dynamodb": {
                    "Keys": {"pk": {"S": "T#2"}, "sk": {"S": "T"}},
                    "OldImage": {"pk": {"S": "T#2"}, "tags": {"SS": ["a"]}},
                    "SequenceNumber": "102",
                },
            },
        ]
    }
    # When it is read
    first, second = changes(event)
    # Then each change has plain values, and the image of what was deleted is its old one
    assert (first.kind, first.keys, first.old) == ("INSERT", {"pk": "T#1", "sk": "T"}, None)
    assert first.image == {"pk": "T#1", "number": Decimal(1042)}
    assert (second.kind, second.new, second.sequence) == ("REMOVE", None, "102")
    assert second.image == {"pk": "T#2", "tags": {"a"}}

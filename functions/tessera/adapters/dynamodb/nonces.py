"""One-time keys in the tickets table: ``NONCE#<key>`` items, claimed with a conditional put.

DynamoDB's TTL deletes expired items eventually (and never on the emulator), so the condition
also lets a claim replace an item whose ``expires_at`` has passed.
"""

from __future__ import annotations

import time

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from tessera.adapters.dynamodb.binding import bind


class NonceItem(Model):
    class Meta:
        table_name = ""  # set by DynamoNonces
        region = ""

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    value = UnicodeAttribute(default="")
    expires_at = NumberAttribute()  # the table's TTL attribute (Unix seconds)


SK = "#NONCE"


class DynamoNonces:
    def __init__(self, table_name: str) -> None:
        bind([NonceItem], table_name)

    def claim(self, key: str, *, ttl_seconds: int, value: str = "") -> str | None:
        now = int(time.time())
        item = NonceItem(f"NONCE#{key}", SK, value=value, expires_at=now + ttl_seconds)
        try:
            item.save(condition=NonceItem.pk.does_not_exist() | (NonceItem.expires_at < now))
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            existing = NonceItem.get(f"NONCE#{key}", SK, consistent_read=True)
            return existing.value
        return None

    def settle(self, key: str, *, ttl_seconds: int, value: str) -> None:
        # A plain put: only the claimant settles its key. A past expires_at releases it, since a
        # claim may replace an expired item.
        expires_at = int(time.time()) + ttl_seconds if ttl_seconds > 0 else 0
        NonceItem(f"NONCE#{key}", SK, value=value, expires_at=expires_at).save()

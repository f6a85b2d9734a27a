"""Configuration documents in the tickets table (docs/data-model.md: ``CFG#<kind>`` items).

Each applied version is an immutable item ``v#<version>``; ``#CURRENT`` points at the latest.
Applying writes both in one transaction, conditional on the pointer not having moved, so two
concurrent applies cannot both win.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from tessera.adapters.dynamodb.binding import bind, connection
from tessera.errors import Conflict
from tessera.ports import StoredConfig

CURRENT = "#CURRENT"


class ConfigItem(Model):
    class Meta:
        table_name = ""  # set by DynamoConfigStore
        region = ""

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    version = NumberAttribute()
    text = UnicodeAttribute(null=True)  # only on version items
    applied_by = UnicodeAttribute()
    applied_at = UnicodeAttribute()


def _pk(kind: str) -> str:
    return f"CFG#{kind}"


def _sk(version: int) -> str:
    return f"v#{version:06d}"


class DynamoConfigStore:
    def __init__(self, table_name: str) -> None:
        bind([ConfigItem], table_name)
        self._connection = connection()

    def current(self, kind: str) -> StoredConfig | None:
        try:
            pointer = ConfigItem.get(_pk(kind), CURRENT, consistent_read=True)
        except ConfigItem.DoesNotExist:
            return None
        item = ConfigItem.get(_pk(kind), _sk(int(pointer.version)), consistent_read=True)
        return _stored(kind, item)

    def apply(
        self, kind: str, text: str, *, actor: str, expected_version: int | None
    ) -> StoredConfig:
        current = self.current(kind)
        base = current.version if current else 0
        if expected_version is not None and expected_version != base:
            raise Conflict(f"{kind} is at version {base}, not {expected_version}")
        version = base + 1
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        item = ConfigItem(
            _pk(kind), _sk(version), version=version, text=text, applied_by=actor, applied_at=now
        )
        pointer = ConfigItem(_pk(kind), CURRENT, version=version, applied_by=actor, applied_at=now)
        moved = ConfigItem.version == base if current else ConfigItem.pk.does_not_exist()
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.save(item, condition=ConfigItem.pk.does_not_exist())
                transaction.save(pointer, condition=moved)
        except TransactWriteError as error:
            if any(
                reason is not None and reason.code == "ConditionalCheckFailed"
                for reason in error.cancellation_reasons
            ):
                raise Conflict(f"{kind} was changed by someone else; apply again") from None
            raise
        return _stored(kind, item)

    def history(self, kind: str, *, limit: int) -> Sequence[StoredConfig]:
        items = ConfigItem.query(
            _pk(kind), ConfigItem.sk.startswith("v#"), scan_index_forward=False, limit=limit
        )
        return [_stored(kind, item) for item in items]

    def version(self, kind: str, version: int) -> StoredConfig | None:
        try:
            item = ConfigItem.get(_pk(kind), _sk(version), consistent_read=True)
        except ConfigItem.DoesNotExist:
            return None
        return _stored(kind, item)


def _stored(kind: str, item: ConfigItem) -> StoredConfig:
    return StoredConfig(
        kind=kind,
        version=int(item.version),
        text=item.text or "",
        applied_by=item.applied_by,
        applied_at=datetime.strptime(item.applied_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC),
    )

"""Index queries that read what they answer, not the whole table.

moto answers a Query of a secondary index by reading every item of the table and keeping those
whose index key matches. The local stack's tickets table holds about twenty items a mail (the
ticket, its messages and audit events, claims, counters, the reports' records), and the intake's
look-up of a sender's tickets, every view of the console and the sweeps are index queries: their
cost grew with everything ever stored (4 ms a mail at 300 mails, growing without end), where on
DynamoDB it grows with the answer.

Each table keeps an :class:`IndexMap`: for every secondary index whose hash key is one attribute,
which items (by table key) hold each value of it. An index query reads only the items under its
value (moto then checks, sorts, pages, projects and filters them exactly as before). The map is
kept where moto changes a stored item:

- ``Table.put_item`` (a new item object, by PutItem, BatchWriteItem, a transaction's Put, or an
  UpdateItem creating the item),
- ``Table.delete_item``,
- ``DynamoDBBackend.update_item`` (moto changes the stored item in place),
- a cancelled transaction putting items back (``moto_costs._restore`` calls :func:`reindex`).

A table without a map (made before this module was installed, restored from a backup, or whose
indexes changed) builds one with a single read of its items at its first index query. The map is
an attribute of the table, so a snapshot keeps it with the items it describes. A query checks
each candidate against the table as it is (an item since removed or replaced is skipped, and moto
compares the hash key of every candidate): the map may hold an entry too many, never one too
few. ``tests/integration/test_index_map.py`` compares every index query with moto's full read
after random puts, updates, deletes, batches and transactions. Index key values are the types
DynamoDB allows for keys (S, N, B); moto would also match an item holding a BOOL or a list
under an index key, which DynamoDB refuses to store, and this map does not.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

ATTRIBUTE = "_tessera_index_map"

Key = tuple[Any, Any]  # (hash key, range key or None), moto's DynamoType values
Value = tuple[str, Any]  # an index key's value: (type, value as moto compares it)


class IndexMap:
    """For each secondary index with a one-attribute hash key: value -> the keys of the items
    holding it (a dict used as an ordered set)."""

    # Kept in snapshots: a map of another layout, from an older snapshot, is built again.
    LAYOUT = 2

    def __init__(self, table: Any) -> None:
        self.layout = self.LAYOUT
        self.names = index_names(table)
        self.attributes = {name: hashes[0] for name, hashes in self.names if len(hashes) == 1}
        self.partitions: dict[str, dict[Value, dict[Key, None]]] = {
            name: {} for name in self.attributes
        }
        self.held: dict[Key, dict[str, Value]] = {}  # an item's key -> index name -> its value
        for item in stored_items(table):
            self.put(item_key(item), item)

    def put(self, key: Key, item: Any | None) -> None:
        """Record ``item`` as the one stored under ``key`` (None: none is). The new entries go
        in before the old ones come out: a reader in between sees one too many, never one too
        few (the emulator's lock serializes calls anyway; this holds without it)."""
        values: dict[str, Value] = {}
        if item is not None:
            for name, attribute in self.attributes.items():
                value = scalar(item.attrs.get(attribute))
                if value is not None:
                    self.partitions[name].setdefault(value, {})[key] = None
                    values[name] = value
        before = self.held.pop(key, {})
        if values:
            self.held[key] = values
        for name, value in before.items():
            if values.get(name) != value:
                self._remove(name, value, key)

    def _remove(self, name: str, value: Value, key: Key) -> None:
        partition = self.partitions[name].get(value)
        if partition is not None:
            partition.pop(key, None)
            if not partition:
                self.partitions[name].pop(value, None)

    def candidates(self, table: Any, index_name: str, value: Any) -> list[Any]:
        """The stored items under ``value`` in the index, in no order."""
        wanted = scalar(value)
        if wanted is None:
            return []
        found = []
        for hash_key, range_key in list(self.partitions[index_name].get(wanted, {})):
            item = stored(table, hash_key, range_key)
            if item is not None:
                found.append(item)
        return found


def scalar(value: Any) -> Value | None:
    """An index key's value as a dict key: a copy, so a later change of the item's attribute in
    place cannot move it (None: absent, or not a type an index key can have)."""
    if value is None or value.type not in ("S", "N", "B"):
        return None
    return (value.type, value.cast_value)


def index_names(table: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each index's name and hash-key attributes: the map is built again when they change
    (an index dropped and made again under its name with another key too)."""
    return tuple(
        (index.name, tuple(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"))
        for index in table.all_indexes()
    )


def stored(table: Any, hash_key: Any, range_key: Any) -> Any | None:
    """The item the table holds under the key now, if any."""
    partition = table.items.get(hash_key)
    if partition is None or range_key is None:
        return partition
    return partition.get(range_key)


def stored_items(table: Any) -> list[Any]:
    if not table.range_key_attr:
        return list(table.items.values())
    return [item for partition in table.items.values() for item in partition.values()]


def item_key(item: Any) -> Key:
    return (item.hash_key, item.range_key)


def kept(table: Any) -> IndexMap | None:
    """The table's map, if it has one (of this layout) to keep up to date."""
    found = table.__dict__.get(ATTRIBUTE)
    if getattr(found, "layout", None) != IndexMap.LAYOUT:
        return None
    return found  # type: ignore[no-any-return]


def of(table: Any) -> IndexMap:
    """The table's map, built now if it has none (or its indexes changed since)."""
    found = kept(table)
    if found is None or found.names != index_names(table):
        found = IndexMap(table)
        table.__dict__[ATTRIBUTE] = found
    return found


def reindex(table: Any, hash_key: Any, range_key: Any) -> None:
    """Bring the map up to date with what the table holds under the key now."""
    found = kept(table)
    if found is not None:
        found.put((hash_key, range_key), stored(table, hash_key, range_key))


def candidates(table: Any, index_name: str, conditions: Any) -> list[Any] | None:
    """The items an index query with these hash-key ``conditions`` (moto's ``(name, value)``
    pairs) can match; None when the map cannot say (moto then reads every item)."""
    if not conditions or len(conditions) != 1:
        return None
    attribute, value = conditions[0]
    found = of(table)
    if found.attributes.get(index_name) != attribute:
        return None
    return found.candidates(table, index_name, value)


# -- the replacements (installed by moto_costs.install) -----------------------------------------
def putting(put_item: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(put_item)
    def put_item_kept(table: Any, *args: Any, **kwargs: Any) -> Any:
        item = put_item(table, *args, **kwargs)
        found = kept(table)
        if found is not None:
            found.put(item_key(item), item)
        return item

    return put_item_kept


def deleting(delete_item: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(delete_item)
    def delete_item_kept(table: Any, hash_key: Any, range_key: Any = None) -> Any:
        try:
            return delete_item(table, hash_key, range_key)
        finally:
            reindex(table, hash_key, range_key)

    return delete_item_kept


def updating(update_item: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(update_item)
    def update_item_kept(
        backend: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        try:
            return update_item(backend, table_name, key, *args, **kwargs)
        finally:
            # Changed in place, or made by put_item and then changed: index what is stored now,
            # even when the update failed half-way.
            _reindex_named(backend, table_name, key)

    return update_item_kept


def _reindex_named(backend: Any, table_name: str, key: dict[str, Any]) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    try:
        table = backend.get_table(table_name)  # a name or an ARN
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    except Exception:  # no such table or no such key: the update stored nothing
        return
    reindex(table, hash_key, range_key)

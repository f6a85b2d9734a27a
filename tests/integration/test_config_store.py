"""The DynamoDB configuration store keeps versions and refuses a concurrent apply."""

from __future__ import annotations

import pytest

from tessera.adapters.dynamodb.config_store import DynamoConfigStore
from tessera.errors import Conflict


def test_versions_history_and_conflicts(tickets_table: str) -> None:
    store = DynamoConfigStore(tickets_table)
    assert store.current("mailboxes") is None

    first = store.apply("mailboxes", "a: 1\n", actor="alice", expected_version=0)
    second = store.apply("mailboxes", "a: 2\n", actor="bob", expected_version=None)

    assert (first.version, second.version) == (1, 2)
    current = store.current("mailboxes")
    assert current is not None
    assert (current.version, current.text, current.applied_by) == (2, "a: 2\n", "bob")
    assert [c.text for c in store.history("mailboxes", limit=10)] == ["a: 2\n", "a: 1\n"]
    with pytest.raises(Conflict):
        store.apply("mailboxes", "a: 3\n", actor="carol", expected_version=1)
    assert store.current("rules") is None

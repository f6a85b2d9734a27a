"""Every PynamoDB model and connection works on the process's one DynamoDB client
(tessera.adapters.dynamodb.binding): no thread, model or transaction makes a client of its own."""

from __future__ import annotations

import threading
from typing import Any

import botocore.session
import pytest

from tessera.adapters.clients import client
from tessera.adapters.dynamodb.agent_loads import DynamoAgentLoads
from tessera.adapters.dynamodb.config_store import DynamoConfigStore
from tessera.adapters.dynamodb.nonces import DynamoNonces
from tessera.adapters.dynamodb.tickets import _MODELS, DynamoTicketRepository, TicketItem


def test_every_model_and_transaction_uses_the_process_client(tickets_table: str) -> None:
    repository = DynamoTicketRepository(tickets_table)
    loads = DynamoAgentLoads(tickets_table)
    config = DynamoConfigStore(tickets_table)

    shared = client("dynamodb")
    for model in _MODELS:
        assert model._get_connection().connection.client is shared, model.__name__
    for store in (repository, loads, config):
        assert store._connection.client is shared


def test_threads_using_the_models_make_no_client(
    tickets_table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the stores, as a function's first invocation makes them
    repository = DynamoTicketRepository(tickets_table)
    nonces = DynamoNonces(tickets_table)
    client("dynamodb")
    made: list[str] = []
    create_client = botocore.session.Session.create_client

    def counting(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        made.append(service_name)
        return create_client(self, service_name, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "create_client", counting)

    # When eight new threads (as Step Functions runs each task) read and write at once
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            repository.next_number()
            nonces.claim(f"binding-{index}", ttl_seconds=60)
            list(TicketItem.query("T#none"))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then every call succeeded and none of them made a client
    assert errors == []
    assert made == []
    assert repository.next_number() == repository.next_number() - 1


def test_a_repository_made_after_the_environment_changed_uses_a_client_for_it(
    tickets_table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the process's client, made where the environment pointed
    before = client("dynamodb")
    DynamoTicketRepository(tickets_table)
    # When a test points the environment at another endpoint (as at the local stack)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    repository = DynamoTicketRepository(tickets_table)
    # Then the repository's models and transactions use a client for that endpoint
    assert client("dynamodb") is not before
    assert TicketItem._get_connection().connection.client.meta.endpoint_url == "http://127.0.0.1:9"
    assert repository._connection.client.meta.endpoint_url == "http://127.0.0.1:9"

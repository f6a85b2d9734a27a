"""PynamoDB's models and connections on the process's one DynamoDB client.

Left to itself, PynamoDB makes a botocore client for each model class and each ``Connection``,
from a botocore session of the thread that first uses it: every one of them loads botocore's
endpoint and service data again (several MB of JSON, tens of milliseconds on Lambda, and kept
while the client lives). A cold start paid that once per model class; the local stack, where
Step Functions runs each task in a new thread and concurrent tasks raced to make the same
client, paid it hundreds of times per hundred mails in CPU and memory (docs/local-stack.md).

:func:`bind` points models at the table and hands each its ``TableConnection`` on the client
every other adapter uses (:func:`tessera.adapters.clients.client`); :func:`connection` is a
``Connection`` on the same client for transactions. PynamoDB has no public way to give a
connection a client: both set its ``_client``, which its ``client`` property returns as long as
the client has credentials (tests/integration/test_dynamodb_binding.py holds PynamoDB to that).
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.connection import Connection
from pynamodb.models import Model

from tessera import settings
from tessera.adapters.clients import client


def connection() -> Connection:
    """A PynamoDB ``Connection`` on the process's DynamoDB client."""
    shared = Connection(region=settings.region())
    shared._client = client("dynamodb")
    return shared


def bind(models: Iterable[type[Model]], table_name: str) -> None:
    """Point ``models`` at ``table_name``, each on the process's DynamoDB client."""
    region = settings.region()
    for model in models:
        model.Meta.table_name = table_name
        model.Meta.region = region
        model._connection = None  # PynamoDB keeps one per class: drop one made for other settings
        model._get_connection().connection._client = client("dynamodb")

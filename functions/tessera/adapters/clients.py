"""boto3 clients, one per service, made on first use (never at import time: a handler that
never sends mail never pays for the client). Clients honour ``AWS_ENDPOINT_URL``, which is how
the local stack points them at its emulator."""

from __future__ import annotations

from functools import cache
from typing import Any

from tessera import settings


@cache
def client(service: str) -> Any:
    import boto3

    make_client: Any = boto3.client  # one getter for every service (stubs type each literal)
    return make_client(service, region_name=settings.region())

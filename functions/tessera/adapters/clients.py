"""boto3 clients, one per service, made on first use (never at import time: a handler that
never sends mail never pays for the client). Clients honour ``AWS_ENDPOINT_URL``, which is how
the local stack points them at its emulator."""

from __future__ import annotations

import os
import threading
from functools import cache
from typing import Any

from tessera import settings

_making = threading.Lock()


def client(service: str) -> Any:
    """The process's client for ``service`` where the environment points: one per service on
    Lambda, whose environment never changes; a new one when the region, the endpoint or the
    access key changed (a test pointing a repository at the local stack). Threads that ask at
    once wait for the one client: making one loads botocore's data, tens of milliseconds."""
    where = (
        settings.region(),
        os.environ.get(f"AWS_ENDPOINT_URL_{service.upper().replace('-', '_')}")
        or os.environ.get("AWS_ENDPOINT_URL"),
        os.environ.get("AWS_ACCESS_KEY_ID"),
    )
    with _making:
        return _make(service, *where)


@cache
def _make(service: str, region: str, _endpoint: str | None, _access_key: str | None) -> Any:
    import boto3

    make_client: Any = boto3.client  # one getter for every service (stubs type each literal)
    return make_client(service, region_name=region)

"""boto3 clients, one per service, made on first use (never at import time: a handler that
never sends mail never pays for the client). Clients honour ``AWS_ENDPOINT_URL``, which is how
the local stack points them at its emulator."""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

from tessera import settings

_making = threading.Lock()


def client(service: str) -> Any:
    """The process's client for ``service``: threads that ask at once wait for the one client
    (making one is tens of milliseconds of loading botocore's data)."""
    with _making:
        return _make(service)


@cache
def _make(service: str) -> Any:
    import boto3

    make_client: Any = boto3.client  # one getter for every service (stubs type each literal)
    return make_client(service, region_name=settings.region())

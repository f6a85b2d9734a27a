"""The API about itself: liveness and its OpenAPI document."""

from __future__ import annotations

from typing import Any

from api import schemas
from api.endpoints import PUBLIC, Call
from api.service import endpoint


@endpoint(
    "GET",
    "/api/health",
    roles=PUBLIC,
    tag="meta",
    summary="Liveness",
    throttled=False,
    responses={200: schemas.HEALTH},
)
def health(call: Call) -> dict[str, Any]:
    return {"status": "ok", "service": "tessera"}


@endpoint(
    "GET",
    "/api/openapi.json",
    roles=PUBLIC,
    tag="meta",
    summary="This API's OpenAPI 3.1 document",
    throttled=False,
    responses={200: {"type": "object"}},
)
def openapi(call: Call) -> dict[str, Any]:
    from api.openapi import document

    return document()

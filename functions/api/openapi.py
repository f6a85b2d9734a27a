"""The OpenAPI 3.1 document, written from the endpoints as declared (api.endpoints.ENDPOINTS)."""

from __future__ import annotations

from functools import cache
from typing import Any

from api import schemas
from api.endpoints import ENDPOINTS, PUBLIC, Endpoint

_ERRORS = {
    400: "The request is invalid; `error.field` names the field",
    401: "No valid credentials",
    403: "Not allowed for this role",
    404: "No such resource (or not visible to the caller)",
    409: "A concurrent change won; read again and retry",
    412: "If-Match names an old version",
    413: "The body is too large",
    429: "Too many requests; retry later",
}


def _operation(spec: Endpoint) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": dict(schema)}
        for name, schema in spec.path_params.items()
    ]
    parameters += [
        {"name": name, "in": "query", "required": False, "schema": dict(schema)}
        for name, schema in spec.query.items()
    ]
    parameters += [
        {"name": name, "in": "header", "required": False, "schema": dict(schema)}
        for name, schema in spec.headers.items()
    ]
    responses: dict[str, Any] = {
        # A response given as {"description", "content"} names its own media type (a CSV).
        str(status): dict(schema)
        if "content" in schema
        else {
            "description": _ERRORS.get(status, "OK"),
            "content": {"application/json": {"schema": dict(schema)}},
        }
        for status, schema in spec.responses.items()
    }
    relevant = {400, 413} if spec.body is not None or spec.query or spec.path_params else set()
    if spec.roles:
        relevant |= {401, 403}
    if spec.path_params:
        relevant |= {404}
    if spec.headers:
        relevant |= {409, 412}
    if spec.throttled:
        relevant |= {429}
    relevant |= spec.errors
    for status in sorted(relevant):
        responses[str(status)] = {
            "description": _ERRORS[status],
            "content": {"application/json": {"schema": schemas.ERROR}},
        }
    if "429" in responses:
        responses["429"]["headers"] = {
            "Retry-After": {
                "description": "Seconds until the caller's budget is renewed",
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    operation: dict[str, Any] = {
        "operationId": f"{spec.method.lower()}_{_slug(spec.path)}",
        "summary": spec.summary,
        "tags": [spec.tag],
        "parameters": parameters,
        "responses": responses,
        "security": [] if spec.roles == PUBLIC else [{"bearer": []}],
    }
    if spec.roles:
        operation["x-tessera-roles"] = sorted(spec.roles)
    if spec.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": dict(spec.body)}},
        }
    return operation


def _slug(path: str) -> str:
    return "_".join(p.strip("{}").replace("-", "_").replace(".", "_") for p in path.split("/")[2:])


@cache
def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for spec in ENDPOINTS:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tessera",
            "version": "1",
            "description": (
                "The helpdesk's HTTP API. Staff authenticate with a Cognito ID token from "
                "POST /api/auth/login; customers with a session token from a magic link "
                "(POST /api/auth/magic-link, then POST /api/auth/session). Errors always have "
                'the shape {"error": {"code", "message", "field"?}}.'
            ),
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }

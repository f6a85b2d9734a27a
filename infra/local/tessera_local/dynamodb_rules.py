"""What DynamoDB refuses and moto lets through, refused here too, so that code which would fail on
AWS fails on the local stack and in the tests first.

- A Query's ``FilterExpression`` may not name a key attribute of the table or index it queries
  ("Filter Expression can only contain non-primary key attributes"): the keys belong in the key
  condition. moto applies such a filter as any other. (A Scan's filter may name keys.)

:func:`replacements` lists the changes; the stack installs them with moto's cost replacements
(tessera_local.stack), and every test that uses moto has them (tests/conftest.py).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from tessera_local.moto_costs import unwrapped

# A name in an expression: ``#name`` or a plain attribute, not a value (``:v``), not a nested
# member (``a.b``: only ``a`` is top level), not a function (followed by ``(``).
_NAME = re.compile(r"(?<![:\w#.])(#\w+|[A-Za-z_]\w*)(?!\w|\s*\()")
_WORDS = {"AND", "OR", "NOT", "BETWEEN", "IN"}


def replacements() -> list[tuple[Any, str, Any]]:
    """``(class, attribute, replacement)`` for each rule."""
    from moto.dynamodb.responses import DynamoHandler

    return [(DynamoHandler, "query", keys_not_filtered(unwrapped(DynamoHandler.query)))]


def install() -> None:
    for owner, name, replacement in replacements():
        setattr(owner, name, replacement)


def keys_not_filtered(query: Callable[..., Any]) -> Callable[..., Any]:
    """moto's Query handler, refusing a filter that names a key attribute as DynamoDB does."""

    @functools.wraps(query)
    def checked(handler: Any) -> Any:
        from moto.dynamodb.exceptions import MockValidationException

        body = handler.body
        expression = body.get("FilterExpression")
        if expression:
            schema = handler.dynamodb_backend.get_schema(
                table_name=body["TableName"], index_name=body.get("IndexName")
            )
            keys = {str(k["AttributeName"]) for k in schema}
            named = body.get("ExpressionAttributeNames") or {}
            for name in filtered_names(str(expression), named):
                if name in keys:
                    raise MockValidationException(
                        "Filter Expression can only contain non-primary key attributes: "
                        f"Primary key attribute: {name}"
                    )
        return query(handler)

    return checked


def filtered_names(expression: str, names: dict[str, str]) -> set[str]:
    """The top-level attribute names an expression reads (``#n`` resolved)."""
    found = set()
    for token in _NAME.findall(expression):
        if token.upper() in _WORDS:
            continue
        found.add(names.get(token, token) if token.startswith("#") else token)
    return found

"""The audit log of admin actions in the tickets table (docs/data-model.md): each entry is
written twice in one transaction, under its month (``AUDIT#<yyyy-mm>``) and under its actor's
month (``AUDIT#BY#<actor>#<yyyy-mm>``), sorted by time, so both searches are one Query per
month that reads only the entries it returns."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from tessera.adapters.checks import check_limit
from tessera.adapters.clients import client
from tessera.adapters.dynamodb.tickets import from_iso, to_iso
from tessera.errors import ConfigurationError
from tessera.ports import AuditEntry


def _month(at: datetime) -> str:
    return at.strftime("%Y-%m")


def _months_newest_first(start: datetime, end: datetime) -> Iterator[str]:
    year, month = end.year, end.month
    while (year, month) >= (start.year, start.month):
        yield f"{year:04d}-{month:02d}"
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)


def _pk(month: str, actor: str | None) -> str:
    return f"AUDIT#BY#{actor}#{month}" if actor else f"AUDIT#{month}"


class DynamoAuditLog:
    """:class:`tessera.ports.AuditLog`."""

    def __init__(self, table_name: str) -> None:
        if not table_name:
            raise ConfigurationError("the tickets table name is empty")
        self.table = table_name

    def add(self, entry: AuditEntry) -> None:
        at = to_iso(entry.at)
        item = {
            "sk": {"S": f"{at}#{entry.id}"},
            "id": {"S": entry.id},
            "at": {"S": at},
            "actor": {"S": entry.actor},
            "action": {"S": entry.action},
            "target": {"S": entry.target},
            "before": {"S": entry.before},
            "after": {"S": entry.after},
        }
        month = _month(entry.at)
        client("dynamodb").transact_write_items(
            TransactItems=[
                {"Put": {"TableName": self.table, "Item": {"pk": {"S": pk}, **item}}}
                for pk in (_pk(month, None), _pk(month, entry.actor))
            ]
        )

    def entries(
        self, start: datetime, end: datetime, *, actor: str | None, limit: int
    ) -> Sequence[AuditEntry]:
        check_limit(limit)
        found: list[AuditEntry] = []
        for month in _months_newest_first(start, end):
            request: dict[str, Any] = {
                "TableName": self.table,
                "KeyConditionExpression": "pk = :pk AND sk BETWEEN :start AND :end",
                "ExpressionAttributeValues": {
                    ":pk": {"S": _pk(month, actor)},
                    ":start": {"S": to_iso(start)},
                    ":end": {"S": to_iso(end) + "#~"},
                },
                "ScanIndexForward": False,
            }
            while len(found) < limit:
                request["Limit"] = limit - len(found)
                answer = client("dynamodb").query(**request)
                found.extend(_entry(item) for item in answer.get("Items", []))
                if "LastEvaluatedKey" not in answer:
                    break
                request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
            if len(found) >= limit:
                break
        return found


def _entry(item: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        id=item["id"]["S"],
        at=from_iso(item["at"]["S"]),
        actor=item["actor"]["S"],
        action=item["action"]["S"],
        target=item["target"]["S"],
        before=item["before"]["S"],
        after=item["after"]["S"],
    )

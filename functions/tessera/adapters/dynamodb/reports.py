"""The reports' aggregates in the tickets table (docs/data-model.md, patterns 33-36).

- ``pk=RPT#<dimension>#<YYYY-MM>``, ``sk=<DDTHH>|<value>``: the counters of one UTC hour and one
  dimension value (``created``, ``fr_n``, ``fr_h57``, ...). A summary reads one dimension's hours
  with one Query per calendar month (``sk BETWEEN``), whatever the number of tickets.
- ``pk=RPTT#<ticket id>``, ``sk=#APPLIED``: what the reports counted of one ticket (its
  contributions as JSON) and ``rev``, the revision every write is conditional on.
- ``pk=RPTD#<kind>#<YYYY-MM>``, ``sk=<DDTHH>|<ticket id>``: listed documents (CSAT comments;
  the tickets behind created, solved and reopened), ``doc`` as JSON.

One change of a ticket is one ``TransactWriteItems``: the ``#APPLIED`` item (conditional on the
revision read) with every counter ``ADD`` and document put or delete, so the aggregates never
hold half a change. A failed condition becomes :class:`~tessera.errors.Conflict`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from tessera.adapters.clients import client
from tessera.errors import Conflict
from tessera.reports.aggregates import Applied
from tessera.reports.metrics import Contributions

APPLIED_SK = "#APPLIED"


def _months(start: str, end: str) -> list[str]:
    """``YYYY-MM`` from the month of ``start`` to the month of ``end`` (hours), inclusive."""
    year, month = int(start[:4]), int(start[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= end[:7]:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _counter_key(key: str) -> dict[str, Any]:
    hour, dimension, value = key.split("|", 2)
    return {"pk": {"S": f"RPT#{dimension}#{hour[:7]}"}, "sk": {"S": f"{hour[8:]}|{value}"}}


def _doc_key(key: str) -> dict[str, Any]:
    kind, hour, ticket_id = key.rsplit("|", 2)
    return {"pk": {"S": f"RPTD#{kind}#{hour[:7]}"}, "sk": {"S": f"{hour[8:]}|{ticket_id}"}}


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: next(iter(v.values())) for k, v in item.items()}


class DynamoAggregateStore:
    """:class:`tessera.reports.aggregates.AggregateStore` in the tickets table."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def applied(self, ticket_id: str) -> Applied | None:
        found = client("dynamodb").get_item(
            TableName=self.table_name,
            Key={"pk": {"S": f"RPTT#{ticket_id}"}, "sk": {"S": APPLIED_SK}},
            ConsistentRead=True,
        )
        item = found.get("Item")
        if item is None:
            return None
        return Applied(int(item["rev"]["N"]), Contributions.load(json.loads(item["applied"]["S"])))

    def write(
        self,
        ticket_id: str,
        *,
        seen: int | None,
        applied: Contributions,
        counters: Mapping[str, Mapping[str, int]],
        put: Mapping[str, Mapping[str, Any]],
        delete: Iterable[str],
    ) -> None:
        own: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": {
                "pk": {"S": f"RPTT#{ticket_id}"},
                "sk": {"S": APPLIED_SK},
                "rev": {"N": str((seen or 0) + 1)},
                "applied": {"S": json.dumps(applied.dump(), sort_keys=True)},
            },
        }
        if seen is None:
            own["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            own["ConditionExpression"] = "rev = :seen"
            own["ExpressionAttributeValues"] = {":seen": {"N": str(seen)}}
        items: list[dict[str, Any]] = [{"Put": own}]
        for key, counts in counters.items():
            names = {f"#c{i}": name for i, name in enumerate(counts)}
            values = {f":c{i}": {"N": str(n)} for i, n in enumerate(counts.values())}
            items.append(
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": _counter_key(key),
                        "UpdateExpression": "ADD "
                        + ", ".join(f"#c{i} :c{i}" for i in range(len(counts))),
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values,
                    }
                }
            )
        for key, doc in put.items():
            item = {**_doc_key(key), "doc": {"S": json.dumps(dict(doc), sort_keys=True)}}
            items.append({"Put": {"TableName": self.table_name, "Item": item}})
        for key in delete:
            items.append({"Delete": {"TableName": self.table_name, "Key": _doc_key(key)}})
        dynamodb = client("dynamodb")
        try:
            dynamodb.transact_write_items(TransactItems=items)
        except dynamodb.exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons") or []
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                raise Conflict(f"the reports of ticket {ticket_id} moved meanwhile") from None
            raise

    def _query(
        self, pk: str, low: str, high: str, *, backwards: bool = False
    ) -> Iterator[dict[str, Any]]:
        paginator = client("dynamodb").get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
            ExpressionAttributeValues={":pk": {"S": pk}, ":low": {"S": low}, ":high": {"S": high}},
            ScanIndexForward=not backwards,
            # backwards, a caller stops after a few: pages of 100, not of 1 MB
            PaginationConfig={"PageSize": 100} if backwards else {},
        ):
            yield from page.get("Items", [])

    def _range(
        self, prefix: str, start: str, end: str, *, backwards: bool = False
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(hour, item)`` of every item under ``<prefix><month>`` for hours in [start, end)."""
        months = _months(start, end)
        for month in reversed(months) if backwards else months:
            low = start[8:] if month == start[:7] else "00"
            high = end[8:] if month == end[:7] else "99"
            for item in self._query(f"{prefix}{month}", low, high, backwards=backwards):
                sk = item["sk"]["S"]
                yield f"{month}-{sk[:5]}", item

    def hours(
        self, dimension: str, start: str, end: str
    ) -> Iterator[tuple[str, str, Mapping[str, int]]]:
        for hour, item in self._range(f"RPT#{dimension}#", start, end):
            counters = {k: int(v) for k, v in _plain(item).items() if k not in {"pk", "sk"}}
            yield hour, item["sk"]["S"][6:], counters

    def docs(
        self, kind: str, start: str, end: str, *, newest_first: bool = False
    ) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for hour, item in self._range(f"RPTD#{kind}#", start, end, backwards=newest_first):
            ticket_id = item["sk"]["S"][6:]
            yield f"{kind}|{hour}|{ticket_id}", json.loads(item["doc"]["S"])

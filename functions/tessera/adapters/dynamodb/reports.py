"""The reports' aggregates in the tickets table (docs/data-model.md, patterns 33-36).

- ``pk=RPT#<dimension>#<YYYY-MM>``, ``sk=<DDTHH>|<value>``: the counters of one UTC hour and one
  dimension value (``created``, ``fr_n``, ``fr_h57``, ...). A summary reads one dimension's hours
  with one Query per calendar month (``sk BETWEEN``), whatever the number of tickets.
- ``pk=RPTT#<ticket id>``, ``sk=#APPLIED``: what the reports counted of one ticket (its
  contributions as JSON) and ``rev``, the revision every write is conditional on.
- ``pk=RPTD#<kind>#<YYYY-MM>``, ``sk=<DDTHH>|<ticket id>``: listed documents (CSAT comments;
  the tickets behind created, solved and reopened), ``doc`` as JSON.

The changes of a few tickets are one ``TransactWriteItems``: each ticket's ``#APPLIED`` item
(conditional on the revision read) and documents, and one ``ADD`` per counter with the tickets'
increments added up, so the aggregates never hold half a change. A failed condition becomes
:class:`~tessera.errors.Conflict`. The revisions are read with ``BatchGetItem`` (consistent).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from tessera.adapters.clients import client
from tessera.errors import Conflict
from tessera.reports.aggregates import Applied, TicketWrite, added
from tessera.reports.metrics import Contributions

APPLIED_SK = "#APPLIED"
BATCH_GET = 100  # keys in one BatchGetItem
BATCH_GET_ATTEMPTS = 6  # reads of what DynamoDB left unread, backing off (0.1 s to 1.6 s)


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

    def applied(self, ticket_ids: Sequence[str]) -> Mapping[str, Applied]:
        found: dict[str, Applied] = {}
        dynamodb = client("dynamodb")
        for start in range(0, len(ticket_ids), BATCH_GET):
            keys = [
                {"pk": {"S": f"RPTT#{t}"}, "sk": {"S": APPLIED_SK}}
                for t in dict.fromkeys(ticket_ids[start : start + BATCH_GET])
            ]
            wanted: dict[str, Any] = {self.table_name: {"Keys": keys, "ConsistentRead": True}}
            for attempt in range(BATCH_GET_ATTEMPTS):
                if attempt:  # DynamoDB left some keys unread (throttled): back off, ask again
                    time.sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 - jitter
                answer = dynamodb.batch_get_item(RequestItems=wanted)
                for item in answer.get("Responses", {}).get(self.table_name, []):
                    applied = Contributions.load(json.loads(item["applied"]["S"]))
                    found[item["pk"]["S"][5:]] = Applied(int(item["rev"]["N"]), applied)
                wanted = answer.get("UnprocessedKeys") or {}
                if not wanted:
                    break
            else:
                raise RuntimeError(f"DynamoDB left keys unread {BATCH_GET_ATTEMPTS} times")
        return found

    def write(self, writes: Sequence[TicketWrite]) -> None:
        items: list[dict[str, Any]] = []
        for change in writes:
            own: dict[str, Any] = {
                "TableName": self.table_name,
                "Item": {
                    "pk": {"S": f"RPTT#{change.ticket_id}"},
                    "sk": {"S": APPLIED_SK},
                    "rev": {"N": str((change.seen or 0) + 1)},
                    "applied": {"S": json.dumps(change.applied.dump(), sort_keys=True)},
                },
            }
            if change.seen is None:
                own["ConditionExpression"] = "attribute_not_exists(pk)"
            else:
                own["ConditionExpression"] = "rev = :seen"
                own["ExpressionAttributeValues"] = {":seen": {"N": str(change.seen)}}
            items.append({"Put": own})
            for key, doc in change.put.items():
                item = {**_doc_key(key), "doc": {"S": json.dumps(dict(doc), sort_keys=True)}}
                items.append({"Put": {"TableName": self.table_name, "Item": item}})
            for key in change.delete:
                items.append({"Delete": {"TableName": self.table_name, "Key": _doc_key(key)}})
        for key, counts in added(writes).items():
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
        dynamodb = client("dynamodb")
        try:
            dynamodb.transact_write_items(TransactItems=items)
        except dynamodb.exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons") or []
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                moved = ", ".join(w.ticket_id for w in writes)
                raise Conflict(f"the reports of ticket {moved} moved meanwhile") from None
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

"""What readers tell us about the knowledge base, for reports.

- **Votes**: "was this helpful?" yes/no per article and language; a yes from an article the
  ticket form suggested counts as a **deflection** (a ticket that was not needed).
- **Searches with no result**: the normalised query per language, counted — the articles to
  write next.

Stored in the tickets table under one partition, ``KB#FEEDBACK``, so the report is one Query:
``A#<language>#<article>`` (counters ``helpful``, ``unhelpful``, ``deflected``) and
``Q#<language>#<normalised query>`` (``count``, the last query as typed). Each record is one
UpdateItem with ``ADD`` — concurrent votes never lose a count.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from tessera.errors import ValidationFailed
from tessera.kb.normalise import tokens
from tessera.kb.source import LANGUAGE, SLUG

PARTITION = "KB#FEEDBACK"
MAX_QUERY = 100


@dataclass(frozen=True)
class ArticleStats:
    language: str
    article: str
    helpful: int
    unhelpful: int
    deflected: int


@dataclass(frozen=True)
class MissedSearch:
    language: str
    query: str
    count: int


@dataclass(frozen=True)
class Report:
    articles: list[ArticleStats]
    missed: list[MissedSearch]


class FeedbackStore(Protocol):
    def add(self, sk: str, counters: dict[str, int], last: str = "") -> None: ...

    def all(self) -> list[dict[str, Any]]: ...


def _check(language: str, article: str | None = None) -> None:
    if not LANGUAGE.match(language):
        raise ValidationFailed("language", "must be a language code such as en")
    if article is not None and not SLUG.match(article):
        raise ValidationFailed("article", "must be an article's slug")


def vote(store: FeedbackStore, *, language: str, article: str, helpful: bool, source: str) -> None:
    """Count one vote; a helpful vote on an article the ticket form suggested is a deflection."""
    _check(language, article)
    counters = {"helpful" if helpful else "unhelpful": 1}
    if helpful and source == "ticket-form":
        counters["deflected"] = 1
    store.add(f"A#{language}#{article}", counters)


def missed_search(store: FeedbackStore, *, language: str, query: str) -> None:
    """Count a search that found nothing (queries are normalised, so spellings add up)."""
    _check(language)
    folded = " ".join(tokens(query))[:MAX_QUERY]
    if not folded:
        raise ValidationFailed("query", "must have words")
    store.add(f"Q#{language}#{folded}", {"count": 1}, last=query.strip()[:MAX_QUERY])


def report(store: FeedbackStore) -> Report:
    articles, missed = [], []
    for item in store.all():
        kind, language, rest = str(item["sk"]).split("#", 2)
        if kind == "A":
            articles.append(
                ArticleStats(
                    language,
                    rest,
                    int(item.get("helpful", 0)),
                    int(item.get("unhelpful", 0)),
                    int(item.get("deflected", 0)),
                )
            )
        elif kind == "Q":
            missed.append(MissedSearch(language, rest, int(item.get("count", 0))))
    missed.sort(key=lambda m: (-m.count, m.language, m.query))
    articles.sort(key=lambda a: (a.language, a.article))
    return Report(articles, missed)


class DynamoFeedbackStore:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def add(self, sk: str, counters: dict[str, int], last: str = "") -> None:
        from tessera.adapters.aws import client

        names = {f"#c{i}": name for i, name in enumerate(counters)}
        values: dict[str, Any] = {f":c{i}": {"N": str(n)} for i, n in enumerate(counters.values())}
        update = "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counters)))
        update += " SET updated_at = :now"
        values[":now"] = {"N": str(int(time.time()))}
        if last:
            update += ", last_query = :last"
            values[":last"] = {"S": last}
        client("dynamodb").update_item(
            TableName=self.table_name,
            Key={"pk": {"S": PARTITION}, "sk": {"S": sk}},
            UpdateExpression=update,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def all(self) -> list[dict[str, Any]]:
        from tessera.adapters.aws import client

        items: list[dict[str, Any]] = []
        paginator = client("dynamodb").get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": PARTITION}},
        ):
            for raw in page.get("Items", []):
                items.append({k: next(iter(v.values())) for k, v in raw.items()})
        return items


class MemoryFeedbackStore:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def add(self, sk: str, counters: dict[str, int], last: str = "") -> None:
        item = self.items.setdefault(sk, {"pk": PARTITION, "sk": sk})
        for name, n in counters.items():
            item[name] = int(item.get(name, 0)) + n
        if last:
            item["last_query"] = last

    def all(self) -> list[dict[str, Any]]:
        return [dict(item) for item in self.items.values()]


@cache
def store() -> FeedbackStore:
    """The deployed store: the tickets table (TABLE_NAME)."""
    from tessera import settings

    return DynamoFeedbackStore(settings.table_name())

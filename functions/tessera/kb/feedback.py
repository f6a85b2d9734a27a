"""What readers tell us about the knowledge base, for reports.

- **Votes**: "was this helpful?" yes/no per article and language; a yes from an article the
  ticket form suggested counts as a **deflection** (a ticket that was not needed).
- **Searches with no result**: the normalised query per language, counted — the articles to
  write next.

Each record has a key — ``A#<language>#<article>`` (counters ``helpful``, ``unhelpful``,
``deflected``) or ``Q#<language>#<normalised query>`` (``count``, the last query as typed) — and
a :class:`FeedbackStore` adds to its counters atomically and lists them all for the report
(in the tickets table: :mod:`tessera.adapters.dynamodb.kb`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from tessera.errors import ValidationFailed
from tessera.kb.source import LANGUAGE, SLUG
from tessera.text.normalise import tokens

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
    def add(self, sk: str, counters: dict[str, int], last: str = "") -> None:
        """Add ``counters`` to the record ``sk`` (made on first use), atomically; ``last``
        (a query as typed) replaces the record's ``last_query``."""

    def all(self) -> list[dict[str, Any]]:
        """Every record: ``sk``, its counters and ``last_query``."""


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

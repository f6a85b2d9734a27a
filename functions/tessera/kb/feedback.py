"""What readers tell us about the knowledge base, for reports.

- **Votes**: "was this helpful?" yes/no per article and language; a yes from an article the
  ticket form suggested counts as a **deflection** (a ticket that was not needed).
- **Searches**: every search a reader made, per language (the portal reports one once the
  reader has stopped typing: :func:`searched`); one with no result is also counted under its
  normalised query, the articles to write next.
- **Tickets opened after viewing**: the portal sends the articles a customer viewed with the
  ticket they open (:func:`article_views`); each viewed article counts the ticket once, and the
  ticket counts once in a total whatever the number of articles (:func:`ticket_opened`) — the
  opposite signal of a deflection: the article was read and a ticket came anyway.

Each record has a key — ``A#<language>#<article>`` (counters ``helpful``, ``unhelpful``,
``deflected``, ``opened_after``), ``Q#<language>#<normalised query>`` (``count``, the last query
as typed), ``S#<language>`` (``count``: searches) or ``T#after-view`` (``count``: tickets opened
after viewing any article) — and a :class:`FeedbackStore` adds to its counters atomically and
lists them all for the report (in the tickets table: :mod:`tessera.adapters.dynamodb.kb`). The
counters are all-time: none is kept per period.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from tessera.errors import ValidationFailed
from tessera.identity.access import Principal
from tessera.kb.source import LANGUAGE, SLUG
from tessera.text.normalise import tokens

MAX_QUERY = 100
MAX_VIEWED = 10  # articles a ticket counts after: the portal keeps the ten most recent
TICKETS_AFTER_VIEW = "T#after-view"


@dataclass(frozen=True)
class ArticleStats:
    language: str
    article: str
    helpful: int
    unhelpful: int
    deflected: int
    opened_after: int  # tickets opened after viewing this article


@dataclass(frozen=True)
class MissedSearch:
    language: str
    query: str
    count: int


@dataclass(frozen=True)
class ArticleView:
    """An article a reader viewed before opening a ticket (checked as it is made)."""

    language: str
    article: str

    def __post_init__(self) -> None:
        _check(self.language, self.article)


@dataclass(frozen=True)
class Report:
    articles: list[ArticleStats]
    missed: list[MissedSearch]
    searches: dict[str, int]  # searches made, per language
    tickets_after_view: int  # tickets opened after viewing any article (each once)


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


def searched(store: FeedbackStore, *, language: str, query: str, results: int) -> None:
    """Count one search a reader made, in its language; one that found nothing (``results``
    0) is also counted as a miss under its normalised query, so spellings add up. What makes
    one search (not one per keystroke) is the caller's to decide: the portal reports a query
    once the reader has stopped typing (docs/reports.md)."""
    _check(language)
    if results < 0:
        raise ValidationFailed("results", "must be 0 or more")
    folded = " ".join(tokens(query))[:MAX_QUERY]
    if not folded:
        raise ValidationFailed("query", "must have words")
    store.add(f"S#{language}", {"count": 1})
    if results == 0:
        store.add(f"Q#{language}#{folded}", {"count": 1}, last=query.strip()[:MAX_QUERY])


def article_views(
    principal: Principal, viewed: Iterable[Mapping[str, str]]
) -> tuple[ArticleView, ...]:
    """The articles a new ticket's opener viewed, checked before the ticket is made: each
    once (the first mention kept), at most :data:`MAX_VIEWED`. Only customers send them (the
    portal does): staff opening a ticket for someone read nothing on the customer's behalf, so
    theirs is refused rather than counted."""
    named = [(v["language"], v["article"]) for v in viewed]
    if named and principal.is_staff:
        raise ValidationFailed("viewed_articles", "is sent by customers only (the portal)")
    views = tuple(dict.fromkeys(ArticleView(language, article) for language, article in named))
    if len(views) > MAX_VIEWED:
        raise ValidationFailed("viewed_articles", f"must name at most {MAX_VIEWED} articles")
    return views


def ticket_opened(store: FeedbackStore, viewed: Iterable[ArticleView]) -> None:
    """Count a ticket opened after viewing ``viewed``: once on each article, and once in the
    total of tickets opened after viewing any article. A ticket after no article counts
    nowhere."""
    views = tuple(dict.fromkeys(viewed))
    for view in views:
        store.add(f"A#{view.language}#{view.article}", {"opened_after": 1})
    if views:
        store.add(TICKETS_AFTER_VIEW, {"count": 1})


def report(store: FeedbackStore) -> Report:
    """Every counter, by kind: articles by language and slug, the most frequent misses first."""
    articles, missed = [], []
    searches: dict[str, int] = {}
    tickets_after_view = 0
    for item in store.all():
        sk = str(item["sk"])
        kind, _, rest = sk.partition("#")
        if kind == "A":
            language, _, article = rest.partition("#")
            articles.append(
                ArticleStats(
                    language,
                    article,
                    int(item.get("helpful", 0)),
                    int(item.get("unhelpful", 0)),
                    int(item.get("deflected", 0)),
                    int(item.get("opened_after", 0)),
                )
            )
        elif kind == "Q":
            language, _, query = rest.partition("#")
            missed.append(MissedSearch(language, query, int(item.get("count", 0))))
        elif kind == "S":
            searches[rest] = int(item.get("count", 0))
        elif sk == TICKETS_AFTER_VIEW:
            tickets_after_view = int(item.get("count", 0))
    missed.sort(key=lambda m: (-m.count, m.language, m.query))
    articles.sort(key=lambda a: (a.language, a.article))
    return Report(articles, missed, dict(sorted(searches.items())), tickets_after_view)

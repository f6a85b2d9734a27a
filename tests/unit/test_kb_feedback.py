"""Readers' feedback on the knowledge base, counted in the feedback store: votes and the
deflections among them, searches and the misses among them, and tickets opened after viewing
articles (each article counts the ticket once, the total counts it once)."""

from __future__ import annotations

import pytest

from tessera.errors import ValidationFailed
from tessera.identity.access import Principal, Role
from tessera.kb import feedback
from tessera.kb.feedback import ArticleView
from tests.fakes.kb import MemoryFeedbackStore

DANA = Principal("dana@customer.test", frozenset({Role.CUSTOMER}))
ALICE = Principal("alice@example.com", frozenset({Role.AGENT}))


def stats(store: MemoryFeedbackStore, language: str, article: str) -> feedback.ArticleStats:
    return next(
        a for a in feedback.report(store).articles if (a.language, a.article) == (language, article)
    )


# ------------------------------------------------------------------------------ votes
def test_votes_and_deflections_add_up_per_article() -> None:
    # Given readers voting on one article, once from the ticket form's suggestion
    store = MemoryFeedbackStore()
    feedback.vote(store, language="en", article="refund", helpful=True, source="kb")
    feedback.vote(store, language="en", article="refund", helpful=False, source="kb")
    feedback.vote(store, language="en", article="refund", helpful=True, source="ticket-form")
    # When the report is read
    report = feedback.report(store)
    # Then the votes are on the article, the ticket form's yes a deflection
    assert report.articles == [feedback.ArticleStats("en", "refund", 2, 1, 1, 0)]


# ------------------------------------------------------------------------------ searches
def test_every_search_counts_per_language_and_those_that_found_nothing_are_misses() -> None:
    # Given three Persian searches, two finding nothing (the same words, typed with an Arabic
    # keyboard and with a Persian one), and a Greek search that found two articles
    store = MemoryFeedbackStore()
    feedback.searched(store, language="fa", query="كارت هديه", results=0)
    feedback.searched(store, language="fa", query="کارت هدیه ", results=0)
    feedback.searched(store, language="fa", query="رمز عبور", results=3)
    feedback.searched(store, language="el", query="Κωδικός", results=2)
    # When the report is read
    report = feedback.report(store)
    # Then every search counts in its language, and the misses under their normalised words
    assert report.searches == {"el": 1, "fa": 3}
    assert report.missed == [feedback.MissedSearch("fa", "کارت هدیه", 2)]
    assert report.articles == []


def test_a_search_that_is_not_one_counts_nowhere() -> None:
    store = MemoryFeedbackStore()
    with pytest.raises(ValidationFailed) as no_words:
        feedback.searched(store, language="en", query=" ...  ", results=0)
    with pytest.raises(ValidationFailed) as language:
        feedback.searched(store, language="english", query="refund", results=1)
    with pytest.raises(ValidationFailed) as results:
        feedback.searched(store, language="en", query="refund", results=-1)
    assert (no_words.value.field, language.value.field, results.value.field) == (
        "query",
        "language",
        "results",
    )
    assert store.items == {}


def test_votes_refuse_what_is_not_an_article_or_a_language() -> None:
    store = MemoryFeedbackStore()
    with pytest.raises(ValidationFailed):
        feedback.vote(store, language="english", article="x", helpful=True, source="kb")
    with pytest.raises(ValidationFailed):
        feedback.vote(store, language="en", article="../x", helpful=True, source="kb")
    assert store.items == {}


# ------------------------------------------------------------------------------ tickets
def test_a_ticket_after_three_articles_counts_on_each_and_once_in_the_total() -> None:
    # Given a vote already on one of the articles
    store = MemoryFeedbackStore()
    feedback.vote(store, language="en", article="reset-password", helpful=False, source="kb")
    # When a customer opens a ticket after viewing three articles (one of them twice), and
    # another after viewing one of them
    first = feedback.article_views(
        DANA,
        [
            {"language": "en", "article": "reset-password"},
            {"language": "fa", "article": "reset-password"},
            {"language": "en", "article": "reset-password"},
            {"language": "en", "article": "invoices"},
        ],
    )
    feedback.ticket_opened(store, first)
    feedback.ticket_opened(store, [ArticleView("en", "invoices")])
    # Then each article counts the tickets opened after it, the duplicate once
    report = feedback.report(store)
    assert [(a.language, a.article, a.opened_after) for a in report.articles] == [
        ("en", "invoices", 2),
        ("en", "reset-password", 1),
        ("fa", "reset-password", 1),
    ]
    # And the vote is still the article's, beside the ticket
    assert stats(store, "en", "reset-password").unhelpful == 1
    # And the total counts each ticket once, not once per article
    assert report.tickets_after_view == 2


def test_a_ticket_after_no_article_counts_nowhere() -> None:
    store = MemoryFeedbackStore()
    feedback.ticket_opened(store, feedback.article_views(DANA, []))
    assert store.items == {}
    assert feedback.report(store).tickets_after_view == 0


def test_the_articles_viewed_are_checked_before_the_ticket_is_made() -> None:
    # Given what a client might send with a new ticket
    eleven = [{"language": "en", "article": f"article-{n}"} for n in range(11)]
    cases = {
        "staff": (ALICE, [{"language": "en", "article": "refund"}]),
        "too many": (DANA, eleven),
        "not a slug": (DANA, [{"language": "en", "article": "../etc"}]),
        "not a language": (DANA, [{"language": "english", "article": "refund"}]),
    }
    # When each is checked, Then each is refused, naming what is wrong
    fields = {}
    for name, (principal, viewed) in cases.items():
        with pytest.raises(ValidationFailed) as refused:
            feedback.article_views(principal, viewed)
        fields[name] = refused.value.field
    assert fields == {
        "staff": "viewed_articles",
        "too many": "viewed_articles",
        "not a slug": "article",
        "not a language": "language",
    }
    # And staff who send none open tickets as before
    assert feedback.article_views(ALICE, []) == ()


def test_ten_articles_are_accepted_and_kept_in_the_order_sent() -> None:
    ten = [{"language": "el", "article": f"article-{n}"} for n in range(10)]
    views = feedback.article_views(DANA, [*ten, ten[0]])
    assert [v.article for v in views] == [f"article-{n}" for n in range(10)]

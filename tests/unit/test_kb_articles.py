"""Articles written through the admin API (tessera.kb.articles): drafts as versions, If-Match,
publishing merged with kb/ into the same pages and search index, collisions refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tessera.errors import Conflict, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from tessera.identity.access import Principal, Role
from tessera.kb import articles
from tessera.kb.publish import publish
from tessera.kb.source import load
from tests.factories import REPO_KB, kb_draft
from tests.fakes.kb import MemoryArticleStore, MemorySiteStore

ADMIN = Principal("admin@example.com", frozenset({Role.ADMIN}))
AGENT = Principal("alice@example.com", frozenset({Role.AGENT}))


@pytest.fixture
def store() -> MemoryArticleStore:
    return MemoryArticleStore()


def test_saving_a_draft_adds_a_version_and_a_stale_version_is_refused(
    store: MemoryArticleStore,
) -> None:
    # Given an article saved twice
    first = articles.save_draft(
        store, ADMIN, "el", "print-invoice", kb_draft(), expected_version=None
    )
    second = articles.save_draft(
        store, ADMIN, "el", "print-invoice", kb_draft("Νέο κείμενο."), expected_version=1
    )
    # Then each save is a version, by its author, and nothing is published yet
    assert (first.number, second.number, second.author) == (1, 2, "admin:admin@example.com")
    summary, latest, published = articles.article(store, ADMIN, "el", "print-invoice")
    assert (summary.draft, summary.published, latest.body, published) == (
        2,
        0,
        "Νέο κείμενο.",
        None,
    )
    # And a save against version 1 is refused, changing nothing
    with pytest.raises(PreconditionFailed):
        articles.save_draft(store, ADMIN, "el", "print-invoice", kb_draft("x"), expected_version=1)
    assert store.summary("el", "print-invoice").draft == 2  # type: ignore[union-attr]


def test_only_admins_write_or_read_drafts(store: MemoryArticleStore) -> None:
    with pytest.raises(Forbidden):
        articles.save_draft(store, AGENT, "el", "x", kb_draft(), expected_version=None)
    with pytest.raises(Forbidden):
        articles.listing(store, AGENT)
    with pytest.raises(NotFound):
        articles.article(store, ADMIN, "el", "missing")


def test_publishing_renders_the_api_article_with_kb_into_the_same_site(
    store: MemoryArticleStore,
) -> None:
    # Given a Greek draft and the repository's kb/
    library = load(REPO_KB)
    articles.save_draft(
        store, ADMIN, "el", "print-invoice", kb_draft(), expected_version=None, library=library
    )
    # When it is published and the site rendered
    site_library, version = articles.publish(
        store, ADMIN, "el", "print-invoice", expected_version=1, library=library
    )
    bucket = MemorySiteStore()
    report = publish(site_library, bucket)
    # Then the page and the Greek search index have it, beside kb/'s own articles
    assert version.number == 1
    assert store.heads[("el", "print-invoice")].published == 1
    page = bucket.objects["kb/el/print-invoice.html"].body.decode()
    assert "Εκτύπωση τιμολογίου" in page
    assert "<strong>Εκτύπωση</strong>" in page
    index = json.loads(bucket.objects["kb/el/search.json"].body)
    assert "kb/el/print-invoice.html" in [doc[0] for doc in index["docs"]]
    assert "kb/el/reset-password.html" in bucket.objects
    assert report.articles == len(library.articles) + 1

    # When the draft changes, the published version stays until published again
    articles.save_draft(store, ADMIN, "el", "print-invoice", kb_draft("Άλλο."), expected_version=1)
    assert [a.body for a in articles.published_articles(store)] == ["Πατήστε **Εκτύπωση**."]
    with pytest.raises(PreconditionFailed):
        articles.publish(store, ADMIN, "el", "print-invoice", expected_version=1, library=library)
    articles.publish(store, ADMIN, "el", "print-invoice", expected_version=2, library=library)
    assert [a.body for a in articles.published_articles(store)] == ["Άλλο."]


def test_an_article_with_the_slug_of_a_kb_file_is_refused(
    store: MemoryArticleStore,
) -> None:
    library = load(REPO_KB)
    with pytest.raises(Conflict, match="kb/el/"):
        articles.save_draft(
            store, ADMIN, "el", "reset-password", kb_draft(), expected_version=None, library=library
        )
    assert store.summaries() == []


def test_an_unknown_category_or_language_names_the_field(
    store: MemoryArticleStore,
) -> None:
    library = load(REPO_KB)
    wrong = articles.Draft(title="T", description="D", category="gardening", body="text")
    with pytest.raises(ValidationFailed) as error:
        articles.save_draft(store, ADMIN, "el", "x", wrong, expected_version=None, library=library)
    assert error.value.field == "category"
    with pytest.raises(ValidationFailed) as error:
        articles.save_draft(
            store, ADMIN, "de", "x", kb_draft(), expected_version=None, library=library
        )
    assert error.value.field == "language"


def test_a_publish_that_lost_a_race_to_a_newer_draft_is_a_conflict(
    store: MemoryArticleStore,
) -> None:
    # Given a draft at version 1, and a save of version 2 landing after the publish read it
    articles.save_draft(store, ADMIN, "el", "x", kb_draft(), expected_version=None)
    articles.save_draft(store, ADMIN, "el", "x", kb_draft("two"), expected_version=1)
    # Then the store refuses to publish version 1 over a newer draft
    with pytest.raises(Conflict):
        store.set_published("el", "x", 1, actor="admin:admin@example.com")


# ------------------------------------------------------------------------------ the table
def first_time() -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("slug", ["index", "search"])
def test_an_article_may_not_take_the_name_of_a_page_of_the_site(
    store: MemoryArticleStore, slug: str
) -> None:
    # Given the KB home page is kb/<language>/index.html
    with pytest.raises(ValidationFailed) as refused:
        articles.save_draft(store, ADMIN, "el", slug, kb_draft(), expected_version=None)
    assert refused.value.field == "slug"

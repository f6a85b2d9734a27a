"""Articles written through the admin API: drafts, immutable versions, publishing.

The repository's ``kb/`` folder stays the reviewed source; these are the articles admins write
in the console. Each article (a slug in one language) has numbered, immutable versions; the
*draft* is the latest version, the *published* one is what the portal shows. Saving a draft adds
a version (``If-Match``: the draft's version); publishing points *published* at the draft, and
the whole site is rendered again (:func:`tessera.kb.publish.publish_site`) from ``kb/`` plus
every published API article, so both end in the same pages and the same search index.

An API article may not share its slug and language with a file in ``kb/`` (refused, 409): one
article has one source. Storage: :mod:`tessera.adapters.dynamodb.kb` (docs/data-model.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from tessera.config import ConfigError
from tessera.errors import (
    ConfigurationError,
    Conflict,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from tessera.identity.access import Principal, require_admin
from tessera.kb.source import LANGUAGE, RESERVED_SLUGS, SLUG, Article, Library, load

# The repository's kb/, through a symbolic link inside the package: `sam build` copies what the
# link points at, so the API function can render kb/ beside the articles written through the API.
REPOSITORY_KB = Path(__file__).parent / "bundled" / "kb"


@dataclass(frozen=True)
class Version:
    """One immutable version of an article."""

    number: int
    title: str
    description: str
    category: str
    body: str  # markdown
    section: str
    keywords: tuple[str, ...]
    author: str
    created_at: datetime


@dataclass(frozen=True)
class Summary:
    """An article in the list: its versions' numbers (published 0: never published)."""

    language: str
    slug: str
    title: str
    category: str
    draft: int
    published: int
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class Draft:
    title: str
    description: str
    category: str
    body: str
    section: str = ""
    keywords: tuple[str, ...] = ()


class ArticleStore(Protocol):
    """Versions and the two pointers (draft, published) of each API article."""

    def summaries(self) -> list[Summary]: ...

    def summary(self, language: str, slug: str) -> Summary | None: ...

    def version(self, language: str, slug: str, number: int) -> Version: ...

    def add_version(
        self, language: str, slug: str, version: Version, *, expected_draft: int
    ) -> None:
        """Store ``version`` and make it the draft, if the draft is still ``expected_draft``
        (0: a new article); else Conflict."""

    def set_published(self, language: str, slug: str, number: int, *, actor: str) -> None:
        """Point *published* at ``number``, if it is still the draft; else Conflict."""

    def set_unpublished(self, language: str, slug: str, *, actor: str) -> None:
        """Point *published* at nothing (0); the versions stay. NotFound without the article."""

    def delete(self, language: str, slug: str, *, expected_draft: int) -> None:
        """Remove the article and its versions, if its draft is still ``expected_draft``; else
        Conflict."""


def _key(language: str, slug: str) -> None:
    if not LANGUAGE.match(language):
        raise ValidationFailed("language", "must be a language code such as en")
    if not SLUG.match(slug):
        raise ValidationFailed("slug", "must be lowercase letters, digits and dashes")
    if slug in RESERVED_SLUGS:
        raise ValidationFailed("slug", f"{slug} is the name of a page of the knowledge base")


def as_article(language: str, slug: str, version: Version) -> Article:
    return Article(
        language=language,
        category=version.category,
        slug=slug,
        title=version.title,
        description=version.description,
        body=version.body,
        section=version.section,
        keywords=version.keywords,
        source=f"the admin API: {language}/{slug} v{version.number}",
    )


def combined(library: Library, articles: Sequence[Article]) -> Library:
    """``library`` (kb/) with the API's articles; ConfigError naming the article if one has an
    unknown language or category, or the slug and language of a kb/ file."""
    known = {c.slug for c in library.categories}
    taken = {(a.language, a.slug): a.source for a in library.articles}
    for article in articles:
        if article.language not in library.languages():
            raise ConfigError(article.source, None, "language", "not in kb/portal.yaml")
        if article.category not in known:
            raise ConfigError(article.source, None, "category", "not in kb/categories.yaml")
        if (article.language, article.slug) in taken:
            other = taken[(article.language, article.slug)]
            raise ConfigError(article.source, None, "slug", f"is taken by {other}")
    return replace(library, articles=library.articles + tuple(articles))


def published_articles(store: ArticleStore) -> list[Article]:
    """Every published API article, at its published version."""
    return [
        as_article(s.language, s.slug, store.version(s.language, s.slug, s.published))
        for s in store.summaries()
        if s.published
    ]


def listing(store: ArticleStore, principal: Principal) -> list[Summary]:
    require_admin(principal)
    return sorted(store.summaries(), key=lambda s: (s.language, s.slug))


def article(
    store: ArticleStore, principal: Principal, language: str, slug: str
) -> tuple[Summary, Version, Version | None]:
    """The article's summary, its draft and its published version (None before publishing)."""
    require_admin(principal)
    _key(language, slug)
    summary = store.summary(language, slug)
    if summary is None:
        raise NotFound(f"article {language}/{slug}")
    draft = store.version(language, slug, summary.draft)
    published = store.version(language, slug, summary.published) if summary.published else None
    return summary, draft, published


def save_draft(
    store: ArticleStore,
    principal: Principal,
    language: str,
    slug: str,
    draft: Draft,
    *,
    expected_version: int | None,
    library: Library | None = None,
    now: datetime | None = None,
) -> Version:
    """Add a version and make it the draft. ``library`` (kb/), when given, is checked for the
    language, the category and a file with the same slug (refused with Conflict)."""
    require_admin(principal)
    _key(language, slug)
    if not draft.body.strip():
        raise ValidationFailed("body", "the article has no text")
    summary = store.summary(language, slug)
    at = summary.draft if summary else 0
    if expected_version is not None and expected_version != at:
        raise PreconditionFailed(f"{language}/{slug} is at version {at}, not {expected_version}")
    version = Version(
        number=at + 1,
        title=draft.title,
        description=draft.description,
        category=draft.category,
        body=draft.body.strip(),
        section=draft.section,
        keywords=draft.keywords,
        author=principal.actor,
        created_at=now or datetime.now(UTC),
    )
    if library is not None:
        _check_fits(library, [as_article(language, slug, version)])
    store.add_version(language, slug, version, expected_draft=at)
    return version


def publish(
    store: ArticleStore,
    principal: Principal,
    language: str,
    slug: str,
    *,
    expected_version: int | None,
    library: Library,
) -> tuple[Library, Version]:
    """Make the draft the published version. Returns the whole library to render (``kb/`` and
    every published API article, this one at its new version) — checked before the pointer
    moves, so a publish that cannot render changes nothing."""
    require_admin(principal)
    _key(language, slug)
    summary = store.summary(language, slug)
    if summary is None:
        raise NotFound(f"article {language}/{slug}")
    if expected_version is not None and expected_version != summary.draft:
        raise PreconditionFailed(
            f"{language}/{slug} is at version {summary.draft}, not {expected_version}"
        )
    version = store.version(language, slug, summary.draft)
    others = [a for a in published_articles(store) if (a.language, a.slug) != (language, slug)]
    site = _check_fits(library, [*others, as_article(language, slug, version)])
    store.set_published(language, slug, version.number, actor=principal.actor)
    return site, version


def unpublish(store: ArticleStore, principal: Principal, language: str, slug: str) -> Summary:
    """Take the article off the portal: *published* points at nothing; the draft and every
    version stay. The caller renders the site again (the page and its search entry go)."""
    require_admin(principal)
    _key(language, slug)
    summary = store.summary(language, slug)
    if summary is None:
        raise NotFound(f"article {language}/{slug}")
    store.set_unpublished(language, slug, actor=principal.actor)
    return summary


def delete(
    store: ArticleStore,
    principal: Principal,
    language: str,
    slug: str,
    *,
    expected_version: int | None,
) -> Summary:
    """Remove the article and all its versions (``If-Match``: the draft's version). The caller
    renders the site again, so a published one leaves the portal and its search index."""
    require_admin(principal)
    _key(language, slug)
    summary = store.summary(language, slug)
    if summary is None:
        raise NotFound(f"article {language}/{slug}")
    if expected_version is not None and expected_version != summary.draft:
        raise PreconditionFailed(
            f"{language}/{slug} is at version {summary.draft}, not {expected_version}"
        )
    store.delete(language, slug, expected_draft=summary.draft)
    return summary


def _check_fits(library: Library, articles: Sequence[Article]) -> Library:
    try:
        return combined(library, articles)
    except ConfigError as error:
        if error.key == "slug":
            raise Conflict(str(error.problem)) from None
        raise ValidationFailed(error.key or "body", error.problem) from None


def repository_kb() -> Path:
    """The repository's kb/ folder (it must be deployed beside the code; see docs/portal.md)."""
    if not REPOSITORY_KB.is_dir():
        raise ConfigurationError(f"the knowledge base source {REPOSITORY_KB} is not deployed")
    return REPOSITORY_KB


def repository_library() -> Library:
    """The repository's kb/, read and checked."""
    return load(repository_kb())

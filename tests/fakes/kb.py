"""The knowledge base's stores in memory, for tests: articles, readers' feedback, the site."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from tessera.errors import Conflict, NotFound
from tessera.kb.articles import Summary, Version
from tessera.kb.site import Page, digest


class MemoryArticleStore:
    """The store in a dict (unit tests)."""

    def __init__(self) -> None:
        self.heads: dict[tuple[str, str], Summary] = {}
        self.versions: dict[tuple[str, str, int], Version] = {}

    def summaries(self) -> list[Summary]:
        return list(self.heads.values())

    def summary(self, language: str, slug: str) -> Summary | None:
        return self.heads.get((language, slug))

    def version(self, language: str, slug: str, number: int) -> Version:
        try:
            return self.versions[(language, slug, number)]
        except KeyError:
            raise NotFound(f"article {language}/{slug} version {number}") from None

    def add_version(
        self, language: str, slug: str, version: Version, *, expected_draft: int
    ) -> None:
        head = self.heads.get((language, slug))
        if (head.draft if head else 0) != expected_draft:
            raise Conflict(f"{language}/{slug} was changed by someone else; save again")
        self.versions[(language, slug, version.number)] = version
        self.heads[(language, slug)] = Summary(
            language,
            slug,
            version.title,
            version.category,
            version.number,
            head.published if head else 0,
            version.author,
            version.created_at,
        )

    def set_published(self, language: str, slug: str, number: int, *, actor: str) -> None:
        head = self.heads[(language, slug)]
        if head.draft != number:
            raise Conflict(f"{language}/{slug} has a newer draft; publish again")
        self.heads[(language, slug)] = replace(head, published=number, updated_by=actor)

    def set_unpublished(self, language: str, slug: str, *, actor: str) -> None:
        head = self.heads.get((language, slug))
        if head is None:
            raise NotFound(f"article {language}/{slug}")
        self.heads[(language, slug)] = replace(head, published=0, updated_by=actor)

    def delete(self, language: str, slug: str, *, expected_draft: int) -> None:
        head = self.heads.get((language, slug))
        if head is None or head.draft != expected_draft:
            raise Conflict(f"{language}/{slug} was changed by someone else")
        del self.heads[(language, slug)]
        for number in range(1, expected_draft + 1):
            self.versions.pop((language, slug, number), None)


class MemoryFeedbackStore:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def add(self, sk: str, counters: dict[str, int], last: str = "") -> None:
        item = self.items.setdefault(sk, {"sk": sk})
        for name, n in counters.items():
            item[name] = int(item.get(name, 0)) + n
        if last:
            item["last_query"] = last

    def all(self) -> list[dict[str, Any]]:
        return [dict(item) for item in self.items.values()]


class MemorySiteStore:
    """A dict standing in for the bucket (tests, and building the site to look at it)."""

    def __init__(self, objects: Mapping[str, Page] | None = None) -> None:
        self.objects: dict[str, Page] = dict(objects or {})

    def put(self, key: str, page: Page) -> None:
        self.objects[key] = page

    def keys(self, prefix: str) -> list[str]:
        return [k for k in self.objects if k.startswith(prefix)]

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.objects.pop(key, None)

    def digests(self, prefix: str) -> dict[str, str]:
        return {k: digest(p.body) for k, p in self.objects.items() if k.startswith(prefix)}

"""Publishing: the knowledge base as static objects in the portal bucket.

:func:`build_site` is pure (a :class:`~tessera.kb.source.Library` in, ``{key: Page}`` out), so
tests need no S3. :func:`publish` writes the objects and removes those a previous publish wrote
that no longer exist (a deleted article), under the ``kb/`` prefix only. The layout::

    kb/index.html                    links to each language (and sends browsers to theirs)
    kb/<lang>/index.html             categories, sections and their articles
    kb/<lang>/topics/<category>.html one category
    kb/<lang>/<slug>.html            one article
    kb/<lang>/search.json            the search index (tessera.kb.search)
    portal.json, brand.css           the brand and the ticket form, for the portal's pages
    sitemap.xml                      every page, with its language alternates

Links are relative, so the site works under any prefix or domain, as S3 serves it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tessera.kb import render
from tessera.kb.search import Entry, build
from tessera.kb.source import Article, Library, is_rtl, load

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"
# Pages may change on the next publish; the index and pages are small. Browsers revalidate.
CACHE_PAGES = "public, max-age=300"


@dataclass(frozen=True)
class Page:
    body: bytes
    content_type: str
    cache_control: str = CACHE_PAGES


class SiteStore(Protocol):
    """Where published objects go (the portal bucket)."""

    def put(self, key: str, page: Page) -> None: ...

    def keys(self, prefix: str) -> list[str]: ...

    def delete(self, keys: list[str]) -> None: ...


@dataclass(frozen=True)
class Report:
    written: int
    deleted: int
    articles: int
    languages: tuple[str, ...]


def build_site(library: Library) -> dict[str, Page]:
    """Every object the knowledge base publishes, by key."""
    site: dict[str, Page] = {}
    brand = library.branding
    languages = brand.languages
    for language in languages:
        site.update(_language_pages(library, language))
    site["kb/index.html"] = _html(
        "languages.html.j2",
        languages=[(lang, render.translate(lang, "language.name")) for lang in languages],
        default=brand.default_language,
        **_common(library, brand.default_language, "../"),
    )
    site["portal.json"] = Page(_json(brand.as_json()), JSON)
    colours = brand.colours
    css = ":root{" + "".join(f"--brand-{k.replace('_', '-')}:{v};" for k, v in colours.items())
    site["brand.css"] = Page((css + "}\n").encode(), "text/css; charset=utf-8")
    site["sitemap.xml"] = Page(_sitemap(library), "application/xml; charset=utf-8")
    return site


def _common(library: Library, language: str, root: str) -> dict[str, Any]:
    def t(key: str, **values: Any) -> str:
        return render.translate(language, key, **values)

    return {
        "brand": library.branding,
        "lang": language,
        "dir": "rtl" if is_rtl(language) else "ltr",
        "root": root,
        "t": t,
    }


def _language_pages(library: Library, language: str) -> dict[str, Page]:
    site: dict[str, Page] = {}
    articles = library.in_language(language)
    categories = [c for c in library.categories if any(a.category == c.slug for a in articles)]

    def name(slug: str) -> str:
        category = next(c for c in library.categories if c.slug == slug)
        return category.names.get(language) or category.names[library.languages()[0]]

    def grouped(in_category: list[Article]) -> list[tuple[str, list[Article]]]:
        sections: dict[str, list[Article]] = {}
        for article in in_category:
            sections.setdefault(article.section, []).append(article)
        return list(sections.items())

    by_category = {c.slug: [a for a in articles if a.category == c.slug] for c in categories}
    topics: list[dict[str, Any]] = [
        {
            "slug": c.slug,
            "name": name(c.slug),
            "description": c.descriptions.get(language, ""),
            "articles": by_category[c.slug],
        }
        for c in categories
    ]
    root = "../../"
    site[f"kb/{language}/index.html"] = _html(
        "index.html.j2",
        topics=topics,
        alternates=_alternates(library, lambda lang: f"kb/{lang}/index.html", root),
        **_common(library, language, root),
    )
    for topic in topics:
        site[f"kb/{language}/topics/{topic['slug']}.html"] = _html(
            "category.html.j2",
            topic=topic,
            sections=grouped(topic["articles"]),
            alternates=_alternates(
                library, lambda lang, s=topic["slug"]: f"kb/{lang}/topics/{s}.html", "../../../"
            ),
            **_common(library, language, "../../../"),
        )
    entries = []
    for article in articles:
        translations = library.translations(article.slug)
        siblings = [a for a in by_category[article.category] if a.slug != article.slug]
        site[f"kb/{language}/{article.slug}.html"] = _html(
            "article.html.j2",
            article=article,
            body=render.article_html(article.body),
            category=name(article.category),
            siblings=siblings[:8],
            alternates=[
                (lang, render.translate(lang, "language.name"), f"{root}kb/{lang}/{a.slug}.html")
                for lang, a in translations.items()
            ],
            **_common(library, language, root),
        )
        entries.append(
            Entry(
                url=f"kb/{language}/{article.slug}.html",
                title=article.title,
                description=article.description,
                category=name(article.category),
                fields={
                    "title": article.title,
                    "keywords": " ".join(article.keywords),
                    "description": article.description,
                    "names": f"{article.section} {name(article.category)}",
                    "text": render.plain_text(article.body),
                },
            )
        )
    index = build(language, entries)
    index["topics"] = [[f"kb/{language}/topics/{t['slug']}.html", t["name"]] for t in topics]
    site[f"kb/{language}/search.json"] = Page(_json(index), JSON)
    return site


def _alternates(library: Library, url: Any, root: str) -> list[tuple[str, str, str]]:
    return [
        (lang, render.translate(lang, "language.name"), f"{root}{url(lang)}")
        for lang in library.languages()
    ]


def _html(template: str, **context: Any) -> Page:
    return Page(render.page(template, **context).encode(), HTML)


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _sitemap(library: Library) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    lines.append(
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">'
    )
    for article in library.articles:
        lines.append(f"<url><loc>kb/{article.language}/{article.slug}.html</loc>")
        for lang in library.translations(article.slug):
            lines.append(
                f'<xhtml:link rel="alternate" hreflang="{lang}" '
                f'href="kb/{lang}/{article.slug}.html"/>'
            )
        lines.append("</url>")
    lines.append("</urlset>")
    return "\n".join(lines).encode()


MANAGED_PREFIX = "kb/"


def publish(source: Path | Library, store: SiteStore) -> Report:
    """Render ``source`` (a ``kb/`` folder, or a library already read: kb/ with the admin API's
    articles, tessera.kb.articles) and write it to ``store``."""
    library = load(source) if isinstance(source, Path) else source
    site = build_site(library)
    for key, page in sorted(site.items()):
        store.put(key, page)
    stale = sorted(set(store.keys(MANAGED_PREFIX)) - set(site))
    if stale:
        store.delete(stale)
    return Report(
        written=len(site),
        deleted=len(stale),
        articles=len(library.articles),
        languages=library.languages(),
    )


class S3SiteStore:
    """The portal bucket."""

    def __init__(self, bucket: str, client: Any = None) -> None:
        if client is None:
            import boto3

            client = boto3.client("s3")
        self.bucket, self.client = bucket, client

    def put(self, key: str, page: Page) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=page.body,
            ContentType=page.content_type,
            CacheControl=page.cache_control,
        )

    def keys(self, prefix: str) -> list[str]:
        found: list[str] = []
        for listing in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        ):
            found += [item["Key"] for item in listing.get("Contents", [])]
        return found

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in chunk]}
            )


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

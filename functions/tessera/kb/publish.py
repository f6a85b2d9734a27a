"""Publishing: the knowledge base as static objects in the portal bucket.

:func:`publish_site` is the one publish use case: ``kb/`` and the admin API's published
articles, rendered and written. :func:`build_site` is pure (a :class:`~tessera.kb.source.Library`
in, ``{key: Page}`` out), so tests need no S3. :func:`publish` writes the objects to a
:class:`~tessera.kb.site.SiteStore` and removes those a previous publish wrote that no longer
exist (a deleted article), under the ``kb/`` prefix only. The layout::

    kb/index.html                    links to each language (and sends browsers to theirs)
    kb/<lang>/index.html             categories, sections and their articles
    kb/<lang>/topics/<category>.html one category
    kb/<lang>/<slug>.html            one article
    kb/<lang>/search.json            the search index (tessera.kb.search)
    index.html signin.html ...       the portal's own pages (PORTAL_PAGES), one copy for every
                                     language, switched in the browser
    portal.json, brand.css           the brand and the ticket form, for the portal's pages
    sitemap.xml                      every page, with its language alternates

Links are relative, so the site works under any prefix or domain, as S3 serves it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tessera.kb import render
from tessera.kb.articles import ArticleStore, combined, published_articles
from tessera.kb.search import Entry, build
from tessera.kb.site import HTML, JSON, Page, SiteStore, digest
from tessera.kb.source import Article, Library, is_rtl, load

# The portal's own pages, rendered from templates/portal/ with the header every page shares.
PORTAL_PAGES = ("index", "signin", "tickets", "ticket", "new")


@dataclass(frozen=True)
class Report:
    written: int
    deleted: int
    articles: int
    languages: tuple[str, ...]
    # The keys written or removed: what a CDN in front must forget (tessera.kb.site).
    changed: tuple[str, ...] = ()


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
    for name in PORTAL_PAGES:
        site[f"{name}.html"] = _html(
            f"portal/{name}.html.j2", alternates=[], **_common(library, brand.default_language, "")
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


def publish_site(source: Path, articles: ArticleStore | None, store: SiteStore) -> Report:
    """The knowledge-base publish: ``source`` (a ``kb/`` folder) with every article admins
    published through the API (``articles``; None: kb/ alone), rendered and written to
    ``store``. The admin API (after publishing an article), ``tessera kb publish`` and the local
    stack's start all publish through here, so they cannot render different sites."""
    library = load(source)
    if articles is not None:
        library = combined(library, published_articles(articles))
    return publish(library, store)


def publish(source: Path | Library, store: SiteStore) -> Report:
    """Render ``source`` (a ``kb/`` folder, or a library already read) and write it to
    ``store``, removing what an earlier publish wrote that is gone now. An object whose bytes
    are there already is not written again (one listing of the bucket instead of a PUT each)."""
    library = load(source) if isinstance(source, Path) else source
    site = build_site(library)
    present = store.digests("")
    written = [key for key, page in sorted(site.items()) if present.get(key) != digest(page.body)]
    for key in written:
        store.put(key, site[key])
    stale = sorted(k for k in present if k.startswith(MANAGED_PREFIX) and k not in site)
    if stale:
        store.delete(stale)
    return Report(
        written=len(written),
        deleted=len(stale),
        articles=len(library.articles),
        languages=library.languages(),
        changed=tuple(sorted(written + stale)),
    )

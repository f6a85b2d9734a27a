"""Reading the knowledge base's source: ``kb/`` in the repository.

::

    kb/portal.yaml                      the portal's brand, languages, ticket form
    kb/categories.yaml                  categories: order, name and description per language
    kb/<language>/<category>/<slug>.md  one article in one language

An article is markdown after a YAML front matter::

    ---
    title: Reset your password
    description: One sentence for search results and the page's meta description.
    section: Signing in          # optional: groups articles inside a category
    order: 10                    # optional: position in its section (then the title)
    keywords: [login, forgot]    # optional: extra words search should find it by
    ---

The same slug in two languages is the same article translated (the pages link each other). A
language is added by adding its folder and its names in ``categories.yaml``. Every problem is
refused naming the file, the line and the key, like configuration (:class:`ConfigError`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tessera.config import ConfigError, Document, parse

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
# Page names of kb/<language>/ the publisher writes itself: an article may not take one.
RESERVED_SLUGS = frozenset({"index", "search", "topics"})
LANGUAGE = re.compile(r"^[a-z]{2,3}$")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "ckb"})
FIELD_TYPES = ("text", "select")


@dataclass(frozen=True)
class Category:
    slug: str
    order: int
    names: Mapping[str, str]
    descriptions: Mapping[str, str]


@dataclass(frozen=True)
class Article:
    language: str
    category: str
    slug: str
    title: str
    description: str
    body: str  # markdown
    section: str = ""
    order: int = 100
    keywords: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class CustomField:
    key: str
    type: str
    labels: Mapping[str, str]
    options: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class Branding:
    name: str = "Support"
    logo: str = ""  # a path inside the portal bucket or an https URL; empty: the name only
    colours: Mapping[str, str] = field(
        default_factory=lambda: {"accent": "#1d4ed8", "accent_text": "#ffffff", "ink": "#111827"}
    )
    languages: tuple[str, ...] = ("en",)
    default_language: str = "en"
    api: str = "/api"
    priorities: bool = True  # customers may choose a priority on the ticket form
    products: tuple[str, ...] = ()
    custom_fields: tuple[CustomField, ...] = ()
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_attachments: int = 5

    def as_json(self) -> dict[str, Any]:
        """What the portal's script reads (``portal.json``)."""
        return {
            "name": self.name,
            "logo": self.logo,
            "languages": list(self.languages),
            "default_language": self.default_language,
            "rtl": sorted(RTL_LANGUAGES & set(self.languages)),
            "api": self.api,
            "priorities": self.priorities,
            "products": list(self.products),
            "custom_fields": [
                {
                    "key": f.key,
                    "type": f.type,
                    "labels": dict(f.labels),
                    "options": list(f.options),
                    "required": f.required,
                }
                for f in self.custom_fields
            ],
            "max_attachment_bytes": self.max_attachment_bytes,
            "max_attachments": self.max_attachments,
        }


@dataclass(frozen=True)
class Library:
    branding: Branding
    categories: tuple[Category, ...]
    articles: tuple[Article, ...]

    def languages(self) -> tuple[str, ...]:
        return self.branding.languages

    def in_language(self, language: str) -> list[Article]:
        order = {c.slug: c.order for c in self.categories}
        return sorted(
            (a for a in self.articles if a.language == language),
            key=lambda a: (order[a.category], a.section, a.order, a.title.casefold()),
        )

    def translations(self, slug: str) -> dict[str, Article]:
        return {a.language: a for a in self.articles if a.slug == slug}


def is_rtl(language: str) -> bool:
    return language in RTL_LANGUAGES


def load(root: Path) -> Library:
    """The whole knowledge base under ``root``; ConfigError on the first problem."""
    branding = parse_branding(_document(root / "portal.yaml", root))
    categories = parse_categories(_document(root / "categories.yaml", root), branding.languages)
    known = {c.slug for c in categories}
    articles = []
    for language in branding.languages:
        folder = root / language
        if not folder.is_dir():
            raise ConfigError(f"kb/{language}/", None, "", "listed in portal.yaml but missing")
        for path in sorted(folder.rglob("*.md")):
            articles.append(parse_article(path, root, language, known))
    seen: dict[tuple[str, str], str] = {}
    for article in articles:
        other = seen.setdefault((article.language, article.slug), article.source)
        if other != article.source:
            raise ConfigError(article.source, None, "", f"the same file name as {other}")
    for path in sorted(root.glob("*/")):
        if path.is_dir() and path.name not in branding.languages:
            raise ConfigError(
                f"kb/{path.name}/", None, "", "a language folder not listed in portal.yaml"
            )
    return Library(branding, categories, tuple(articles))


def _document(path: Path, root: Path) -> Document:
    name = f"kb/{path.relative_to(root).as_posix()}"
    if not path.is_file():
        raise ConfigError(name, None, "", "missing")
    return parse(path.read_text(encoding="utf-8"), name)


def _names(
    doc: Document, path: tuple[str | int, ...], languages: tuple[str, ...]
) -> dict[str, str]:
    mapping = doc.mapping(path, required=languages[:1], optional=languages[1:])
    return {lang: doc.string((*path, lang)) for lang in mapping}


def parse_branding(doc: Document) -> Branding:
    top = doc.mapping(
        (),
        required=["name", "languages"],
        optional=["logo", "colours", "default_language", "api", "ticket_form"],
    )
    languages = tuple(doc.sequence(("languages",)))
    for i, language in enumerate(languages):
        if not isinstance(language, str) or not LANGUAGE.match(language):
            raise doc.error(("languages", i), "must be a language code such as en, fa, el")
    if not languages:
        raise doc.error(("languages",), "must name at least one language")
    colours = dict(Branding().colours)
    if "colours" in top:
        given = doc.mapping(("colours",), optional=colours)
        for key in given:
            value = doc.string(("colours", key))
            if not COLOUR.match(value):
                raise doc.error(("colours", key), "must be a colour such as #1d4ed8")
            colours[key] = value
    default = (
        doc.string(("default_language",), choices=languages)
        if "default_language" in top
        else languages[0]
    )
    form: Mapping[str, Any] = {}
    if "ticket_form" in top:
        form = doc.mapping(
            ("ticket_form",),
            optional=[
                "priorities",
                "products",
                "custom_fields",
                "max_attachment_bytes",
                "max_attachments",
            ],
        )
    fields = []
    for i, _ in enumerate(form.get("custom_fields") or []):
        path: tuple[str | int, ...] = ("ticket_form", "custom_fields", i)
        spec = doc.mapping(
            path, required=["key", "labels"], optional=["type", "options", "required"]
        )
        kind = doc.string((*path, "type"), choices=FIELD_TYPES) if "type" in spec else "text"
        options = tuple(str(o) for o in spec.get("options") or [])
        if kind == "select" and not options:
            raise doc.error((*path, "options"), "a select field needs options")
        fields.append(
            CustomField(
                key=doc.string((*path, "key")),
                type=kind,
                labels=_names(doc, (*path, "labels"), languages),
                options=options,
                required=bool(spec.get("required", False)),
            )
        )
    for key in ("max_attachment_bytes", "max_attachments"):
        if key in form and (not isinstance(form[key], int) or form[key] < 0):
            raise doc.error(("ticket_form", key), "must be a whole number")
    return Branding(
        name=doc.string(("name",)),
        logo=doc.string(("logo",)) if "logo" in top else "",
        colours=colours,
        languages=languages,
        default_language=default,
        api=doc.string(("api",)) if "api" in top else "/api",
        priorities=bool(form.get("priorities", True)),
        products=tuple(str(p) for p in form.get("products") or []),
        custom_fields=tuple(fields),
        max_attachment_bytes=int(form.get("max_attachment_bytes", 10 * 1024 * 1024)),
        max_attachments=int(form.get("max_attachments", 5)),
    )


def parse_categories(doc: Document, languages: tuple[str, ...]) -> tuple[Category, ...]:
    doc.mapping((), required=["categories"])
    categories = []
    for i, _ in enumerate(doc.sequence(("categories",))):
        path: tuple[str | int, ...] = ("categories", i)
        spec = doc.mapping(path, required=["slug", "names"], optional=["descriptions"])
        slug = doc.string((*path, "slug"))
        if not SLUG.match(slug):
            raise doc.error((*path, "slug"), "must be lowercase letters, digits and dashes")
        descriptions = (
            _names(doc, (*path, "descriptions"), languages) if "descriptions" in spec else {}
        )
        categories.append(Category(slug, i, _names(doc, (*path, "names"), languages), descriptions))
    return tuple(categories)


FRONT_MATTER = re.compile(r"\A---\n(.*?\n)---\n", re.DOTALL)


def parse_article(path: Path, root: Path, language: str, categories: set[str]) -> Article:
    name = f"kb/{path.relative_to(root).as_posix()}"
    relative = path.relative_to(root / language).parts
    if len(relative) != 2:
        raise ConfigError(name, None, "", "articles live in kb/<language>/<category>/<slug>.md")
    category, slug = relative[0], path.stem
    if category not in categories:
        raise ConfigError(name, None, "", f"category '{category}' is not in categories.yaml")
    if not SLUG.match(slug):
        raise ConfigError(name, None, "", "file names are lowercase letters, digits and dashes")
    if slug in RESERVED_SLUGS:
        reserved = ", ".join(sorted(RESERVED_SLUGS))
        raise ConfigError(name, None, "", f"{slug} is a page of the site ({reserved} are)")
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    match = FRONT_MATTER.match(text)
    if match is None:
        raise ConfigError(name, 1, "", "starts with a front matter between --- lines")
    doc = parse(match.group(1), name)
    # Lines in the front matter are one below the file's (the opening ---).
    doc = Document(name, doc.data, {k: v + 1 for k, v in doc.lines.items()})
    doc.mapping((), required=["title", "description"], optional=["section", "order", "keywords"])
    order = doc.at(("order",)) if "order" in doc.data else 100
    if not isinstance(order, int):
        raise doc.error(("order",), "must be a whole number")
    keywords = doc.sequence(("keywords",)) if "keywords" in doc.data else []
    body = text[match.end() :].strip()
    if not body:
        raise ConfigError(name, None, "", "the article has no text")
    return Article(
        language=language,
        category=category,
        slug=slug,
        title=doc.string(("title",)),
        description=doc.string(("description",)),
        body=body,
        section=doc.string(("section",)) if "section" in doc.data else "",
        order=order,
        keywords=tuple(str(k) for k in keywords),
        source=name,
    )

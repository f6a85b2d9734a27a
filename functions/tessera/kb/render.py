"""Articles to pages: markdown (markdown-it-py, raw HTML off) -> nh3 -> Jinja2 templates.

Raw HTML in an article is shown as text, and the rendered HTML is still cleaned by nh3 with a
short list of tags: an article is reviewed text, but the pages are the one thing every customer
opens, so nothing in them may run. Templates autoescape; only the cleaned body is marked safe.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import nh3
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt

TEMPLATES = Path(__file__).parent / "templates"
# A symbolic link to portal_static/assets/i18n.js inside the package, so `sam build` (which copies
# what links point at) ships the UI strings with the functions.
STRINGS = Path(__file__).parent / "bundled" / "i18n.js"

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align", "scope"},
    "td": {"align"},
    "ol": {"start"},
    "code": {"class"},
}


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


def article_html(markdown: str) -> str:
    """One article's body as sanitized HTML. A level-1 heading becomes level 2: the page's only
    ``h1`` is the article's title."""
    html = _markdown().render(markdown)
    html = re.sub(r"<(/?)h1>", r"<\1h2>", html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def plain_text(markdown: str) -> str:
    """The words of an article, for the search index."""
    html = _markdown().render(markdown)
    return re.sub(r"\s+", " ", nh3.clean(html, tags=set())).strip()


@cache
def strings() -> dict[str, dict[str, str]]:
    """The portal's UI strings per language (the JSON object in ``assets/i18n.js``)."""
    text = STRINGS.read_text(encoding="utf-8")
    data: dict[str, dict[str, str]] = json.loads(text[text.index("{") : text.rindex("}") + 1])
    return data


_PLURAL = re.compile(r"\{(\w+), plural,((?:\s*\w+\s*\{[^{}]*\})+)\s*\}")
_FORM = re.compile(r"(\w+)\s*\{([^{}]*)\}")
_DIGITS = {"fa": str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")}


def plural_category(language: str, n: int) -> str:
    """CLDR's plural category of ``n`` for the portal's languages (Persian: "one" for 0 and 1)."""
    if language == "fa":
        return "one" if n in (0, 1) else "other"
    return "one" if n == 1 else "other"


def number(language: str, n: int) -> str:
    """``n`` in the language's digits (Persian digits on a Persian page)."""
    return str(n).translate(_DIGITS.get(language, {}))


def translate(language: str, key: str, **values: Any) -> str:
    """The UI string ``key`` in ``language`` (English when it lacks one), with ``{name}`` filled
    and ``{n, plural, one {...} other {...}}`` resolved as the browser's ``t()`` does."""
    table = strings()
    text = table.get(language, {}).get(key) or table["en"][key]

    def shown(value: Any) -> str:
        return number(language, value) if isinstance(value, int) else str(value)

    def plural(match: re.Match[str]) -> str:
        n = int(values[match.group(1)])
        forms: dict[str, str] = dict(_FORM.findall(match.group(2)))
        form = forms.get(plural_category(language, n)) or forms.get("other", "")
        return form.replace("#", shown(n))

    text = _PLURAL.sub(plural, text)
    for name, value in values.items():
        text = text.replace("{" + name + "}", shown(value))
    return text


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)

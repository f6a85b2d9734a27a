"""The knowledge base: reading kb/, rendering sanitized pages, the search index, publishing to
the portal bucket (readers' feedback: test_kb_feedback.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tessera.cli import main
from tessera.config import ConfigError
from tessera.kb import render
from tessera.kb.publish import build_site, publish
from tessera.kb.source import load
from tessera.text.normalise import normalise, tokens
from tests.factories import REPO_KB, write_article
from tests.fakes.kb import MemorySiteStore


def html(site: dict[str, object], key: str) -> str:
    return site[key].body.decode()  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------ the demo KB
def test_the_repository_kb_publishes_real_pages_in_every_language() -> None:
    # Given the knowledge base in the repository
    library = load(REPO_KB)
    # When it is rendered
    site = build_site(library)
    # Then every language has an index, a search index and a page per article
    assert set(library.languages()) >= {"en", "fa", "el"}
    for language in library.languages():
        assert f"kb/{language}/index.html" in site
        index = json.loads(site[f"kb/{language}/search.json"].body)
        articles = library.in_language(language)
        assert len(index["docs"]) == len(articles) >= 6
        for article in articles:
            page = html(site, f"kb/{language}/{article.slug}.html")
            # And each is a real page: title, description, language and direction in the HTML
            assert f"<title>{article.title} · " in page
            assert f'<meta name="description" content="{article.description}">' in page
            direction = "rtl" if language == "fa" else "ltr"
            assert f'<html lang="{language}" dir="{direction}">' in page
            assert "<h1>" in page
            assert page.count("<h1>") == 1
    assert {c.slug for c in library.categories} >= {"account", "billing"}
    assert site["kb/en/index.html"].content_type == "text/html; charset=utf-8"


def test_translations_link_each_other_with_hreflang() -> None:
    site = build_site(load(REPO_KB))
    page = html(site, "kb/el/reset-password.html")
    assert '<link rel="alternate" hreflang="fa" href="../../kb/fa/reset-password.html">' in page
    assert 'hreflang="fa"' in site["sitemap.xml"].body.decode()


def test_branding_reaches_the_pages_and_the_portal_config(kb: Path) -> None:
    # Given a brand with its own name and colour
    text = (kb / "portal.yaml").read_text(encoding="utf-8")
    text = text.replace("name: Example Support", "name: Acme Help").replace("#1d4ed8", "#7c2d12")
    (kb / "portal.yaml").write_text(text, encoding="utf-8")
    # When the site is built
    site = build_site(load(kb))
    # Then the pages, portal.json and brand.css carry it
    assert "· Acme Help</title>" in html(site, "kb/en/refund.html")
    config = json.loads(site["portal.json"].body)
    assert config["name"] == "Acme Help"
    assert config["languages"] == ["en", "fa", "el"]
    assert config["rtl"] == ["fa"]
    assert config["custom_fields"][0]["key"] == "order_number"
    assert "--brand-accent:#7c2d12;" in site["brand.css"].body.decode()


# ------------------------------------------------------------------------------ sanitizing
def test_html_and_script_urls_in_an_article_never_reach_the_page(kb: Path) -> None:
    # Given an article carrying raw HTML, handlers, javascript: links and SVG
    write_article(
        kb,
        "en/account/hostile.md",
        "title: Hostile\ndescription: Tries everything.\n",
        '<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n'
        "[click](javascript:alert(3)) and ![x](javascript:alert(4))\n\n"
        '<svg onload="alert(5)"></svg>\n\n[ok](https://example.com) **bold**\n',
    )
    # When it is published
    page = html(build_site(load(kb)), "kb/en/hostile.html")
    body = page.split('<div class="prose">', 1)[1].split("</div>", 1)[0]
    # Then nothing executable is left: raw HTML shows as text, bad links lose their href
    assert "<script" not in body
    assert "<svg" not in body
    assert "<img" not in body
    assert not re.search(r"(href|src)=\"?javascript", body)
    assert "&lt;script&gt;" in body
    assert '<a href="https://example.com" rel="noopener noreferrer">ok</a>' in body
    assert "<strong>bold</strong>" in body


def test_a_title_with_markup_is_escaped(kb: Path) -> None:
    write_article(kb, "en/billing/x.md", 'title: "<b>Bold</b>"\ndescription: "a \\" quote"\n')
    page = html(build_site(load(kb)), "kb/en/x.html")
    assert "<title>&lt;b&gt;Bold&lt;/b&gt; · " in page
    assert 'content="a &#34; quote"' in page


def test_a_level_one_heading_in_an_article_becomes_level_two() -> None:
    assert render.article_html("# Title\n\ntext") == "<h2>Title</h2>\n<p>text</p>\n"


# ------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("relative", "front", "expected"),
    [
        (
            "en/account/colour.md",
            "title: T\ndescription: D\ncolour: red\n",
            "kb/en/account/colour.md:4: colour: unknown key",
        ),
        ("en/account/no-title.md", "description: D\n", "missing required key 'title'"),
        ("en/nowhere/a.md", "title: T\ndescription: D\n", "category 'nowhere' is not in"),
        ("en/account/Bad_Name.md", "title: T\ndescription: D\n", "lowercase letters"),
        ("en/billing/reset-password.md", "title: T\ndescription: D\n", "the same file name"),
        ("de/account/a.md", "title: T\ndescription: D\n", "not listed in portal.yaml"),
    ],
)
def test_a_bad_article_is_refused_naming_file_line_and_key(
    kb: Path, relative: str, front: str, expected: str
) -> None:
    write_article(kb, relative, front)
    with pytest.raises(ConfigError) as refused:
        load(kb)
    assert expected in str(refused.value)


def test_an_article_without_front_matter_is_refused(kb: Path) -> None:
    (kb / "en" / "billing" / "plain.md").write_text("Just text", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"kb/en/billing/plain.md:1: starts with a front"):
        load(kb)


# ------------------------------------------------------------------------------ search
@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("كيف", "کیف"),  # Arabic kaf and yeh = Persian ones
        ("رمز عبور", "رمزِ عبور"),  # harakat
        ("میخواهم", "می\u200cخواهم".replace("\u200c", "")),
        ("مدرسة", "مدرسه"),  # teh marbuta
        ("أحمد", "احمد"),
        ("۱۲۳", "123"),  # Persian digits
        ("٤٥", "45"),  # Arabic-Indic digits
        ("ΔΙΕΥΘΥΝΣΗ", "διεύθυνση"),  # Greek capitals and accents
        ("κωδικος", "κωδικός"),  # final sigma and tonos
        ("Café", "cafe"),
    ],
)
def test_normalisation_makes_spellings_meet(typed: str, written: str) -> None:
    assert normalise(typed) == normalise(written)


def test_a_zero_width_non_joiner_separates_words() -> None:
    assert tokens("می\u200cخواهم") == ["می", "خواهم"]


def test_the_index_ranks_a_title_match_above_a_text_match() -> None:
    # Given the English index
    site = build_site(load(REPO_KB))
    index = json.loads(site["kb/en/search.json"].body)
    docs = [d[0] for d in index["docs"]]
    # When we read the postings of a word in one article's title and in another's text
    postings = index["terms"]["refund"]
    weights = {docs[postings[i]]: postings[i + 1] for i in range(0, len(postings), 2)}
    # Then the article titled with it weighs most
    assert max(weights, key=weights.__getitem__) == "kb/en/refund.html"
    assert index["topics"][0] == ["kb/en/topics/getting-started.html", "Getting started"]


def test_the_persian_index_is_normalised() -> None:
    site = build_site(load(REPO_KB))
    index = json.loads(site["kb/fa/search.json"].body)
    assert "رمز" in index["terms"]
    assert all(normalise(term) == term for term in index["terms"])


# ------------------------------------------------------------------------------ publishing
def test_publishing_again_removes_what_was_deleted(kb: Path) -> None:
    # Given a published knowledge base and an unrelated object in the bucket
    store = MemorySiteStore()
    publish(kb, store)
    store.put("assets/portal.css", store.objects["brand.css"])
    # When an article is deleted and the KB is published again
    (kb / "en" / "billing" / "refund.md").unlink()
    report = publish(kb, store)
    # Then its page is gone, the others and the portal's own files stay
    assert "kb/en/refund.html" not in store.objects
    assert "kb/fa/refund.html" in store.objects
    assert "assets/portal.css" in store.objects
    assert report.deleted == 1


def test_the_cli_refuses_without_a_bucket(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PORTAL_BUCKET", raising=False)
    assert main(["kb", "publish", "--source", str(REPO_KB)]) == 2
    assert "--bucket or PORTAL_BUCKET" in capsys.readouterr().err


# ------------------------------------------------------------------------------ strings
def test_every_language_has_every_ui_string() -> None:
    strings = render.strings()
    assert set(strings) >= {"en", "fa", "el"}
    for language, table in strings.items():
        assert set(table) == set(strings["en"]), language
        assert all(value.strip() for value in table.values()), language


def test_every_page_of_the_portal_and_the_kb_has_the_one_header() -> None:
    # Given the site the publisher renders (the portal's own pages and the KB's)
    site = build_site(load(REPO_KB))
    pages = [key for key in site if key.endswith(".html") and key != "kb/index.html"]
    assert {"index.html", "signin.html", "tickets.html", "ticket.html", "new.html"} <= set(pages)
    for key in pages:
        text = html(site, key)
        # Then each has one header, from the one template, with every way through the portal
        assert text.count('<header class="top">') == 1, key
        header = text[text.index('<header class="top">') : text.index("</header>")]
        for target in ("index.html", "new.html", "tickets.html", "signin.html", "/index.html"):
            assert f'{target}"' in header, (key, target)
    # And a KB page speaks its language while the portal's pages start in the default one
    assert 'data-i18n="nav.kb">پایگاه دانش<' in html(site, "kb/fa/index.html")
    assert 'data-i18n="nav.kb">Knowledge base<' in html(site, "tickets.html")


def test_a_kb_file_named_like_a_page_of_the_site_is_refused(kb: Path) -> None:
    write_article(kb, "en/billing/index.md", "title: T\ndescription: D\n")
    with pytest.raises(ConfigError, match="index is a page of the site"):
        load(kb)

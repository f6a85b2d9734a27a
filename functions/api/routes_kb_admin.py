"""Admins write knowledge-base articles: drafts as numbered versions, then publish, which
re-renders the portal's KB pages and search indexes (tessera.kb.articles). The renderer
(Jinja2, markdown-it-py) is imported only by the publish route, so the API's cold start does not
pay for it."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from api import schemas
from api.app import endpoint
from api.endpoints import ADMINS, Call
from tessera.errors import ValidationFailed
from tessera.kb import articles

ARTICLE_PATH = {
    "language": {"type": "string", "pattern": "^[a-z]{2,3}$"},
    "slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,80}$"},
}
DRAFT_IF_MATCH = {"If-Match": {"type": "string", "description": 'The draft\'s version, e.g. "3"'}}
SHORT = {"type": "string", "minLength": 1, "maxLength": 300}
DRAFT = schemas.obj(
    {
        "title": SHORT,
        "description": SHORT,
        "category": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,80}$"},
        "body": {"type": "string", "minLength": 1, "maxLength": 100000},
        "section": {"type": "string", "maxLength": 200},
        "keywords": {"type": "array", "items": SHORT, "maxItems": 30},
    },
    ["title", "description", "category", "body"],
)
VERSION = schemas.obj(
    {
        "version": {"type": "integer"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "category": {"type": "string"},
        "body": {"type": "string"},
        "section": {"type": "string"},
        "keywords": {"type": "array", "items": {"type": "string"}},
        "author": {"type": "string"},
        "created_at": {"type": "string"},
    },
    ["version", "title", "description", "category", "body", "author", "created_at"],
)
SUMMARY_FIELDS = {
    "language": {"type": "string"},
    "slug": {"type": "string"},
    "title": {"type": "string"},
    "category": {"type": "string"},
    "draft_version": {"type": "integer"},
    "published_version": {"type": "integer", "description": "0 before the first publish"},
    "updated_by": {"type": "string"},
    "updated_at": {"type": "string"},
}
SUMMARY = schemas.obj(SUMMARY_FIELDS, list(SUMMARY_FIELDS))
ARTICLE = schemas.obj(
    {**SUMMARY_FIELDS, "draft": VERSION, "published": {"oneOf": [VERSION, {"type": "null"}]}},
    [*SUMMARY_FIELDS, "draft", "published"],
)
PUBLISHED = schemas.obj(
    {
        **SUMMARY_FIELDS,
        "url": {"type": "string", "description": "The page's key in the portal bucket"},
        "written": {"type": "integer"},
        "deleted": {"type": "integer"},
    },
    [*SUMMARY_FIELDS, "url", "written", "deleted"],
)


def _expected_draft(call: Call) -> int | None:
    raw = call.header("if-match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise ValidationFailed("If-Match", 'must be the draft\'s version such as "3"')
    return int(value)


def _summary_json(summary: articles.Summary) -> dict[str, Any]:
    return {
        "language": summary.language,
        "slug": summary.slug,
        "title": summary.title,
        "category": summary.category,
        "draft_version": summary.draft,
        "published_version": summary.published,
        "updated_by": summary.updated_by,
        "updated_at": summary.updated_at.isoformat(),
    }


def _version_json(version: articles.Version) -> dict[str, Any]:
    return {
        "version": version.number,
        "title": version.title,
        "description": version.description,
        "category": version.category,
        "body": version.body,
        "section": version.section,
        "keywords": list(version.keywords),
        "author": version.author,
        "created_at": version.created_at.isoformat(),
    }


def _article_response(language: str, slug: str, call: Call, status: int = 200) -> Response:
    summary, draft, published = articles.article(articles.store(), call.caller, language, slug)
    body = {
        **_summary_json(summary),
        "draft": _version_json(draft),
        "published": _version_json(published) if published else None,
    }
    return Response(body=body, status_code=status, headers={"ETag": f'"{summary.draft}"'})


@endpoint(
    "GET",
    "/api/admin/kb/articles",
    roles=ADMINS,
    tag="kb",
    summary="Admins: the articles written through the API, with their draft and published versions",
    responses={200: schemas.obj({"items": {"type": "array", "items": SUMMARY}}, ["items"])},
)
def list_articles(call: Call) -> dict[str, Any]:
    found = articles.listing(articles.store(), call.caller)
    return {"items": [_summary_json(s) for s in found]}


@endpoint(
    "GET",
    "/api/admin/kb/articles/{language}/{slug}",
    roles=ADMINS,
    tag="kb",
    path_params=ARTICLE_PATH,
    summary="Admins: one article, its draft and its published version (ETag: the draft's)",
    responses={200: ARTICLE},
)
def get_article(call: Call, language: str, slug: str) -> Response:
    return _article_response(language, slug, call)


@endpoint(
    "PUT",
    "/api/admin/kb/articles/{language}/{slug}",
    roles=ADMINS,
    tag="kb",
    path_params=ARTICLE_PATH,
    body=DRAFT,
    headers=DRAFT_IF_MATCH,
    summary=(
        "Admins: save the draft as a new version (the published page does not change); "
        "refused if kb/ has an article with this slug and language"
    ),
    errors=frozenset({409, 412}),
    responses={200: ARTICLE},
)
def save_draft(call: Call, language: str, slug: str) -> Response:
    b = call.body
    articles.save_draft(
        articles.store(),
        call.caller,
        language,
        slug,
        articles.Draft(
            title=b["title"],
            description=b["description"],
            category=b["category"],
            body=b["body"],
            section=b.get("section", ""),
            keywords=tuple(b.get("keywords", [])),
        ),
        expected_version=_expected_draft(call),
        library=articles.repository_library(),
    )
    return _article_response(language, slug, call)


@endpoint(
    "POST",
    "/api/admin/kb/articles/{language}/{slug}/publish",
    roles=ADMINS,
    tag="kb",
    path_params=ARTICLE_PATH,
    headers=DRAFT_IF_MATCH,
    summary=(
        "Admins: publish the draft, then re-render the knowledge base (kb/ and every published "
        "API article) to the portal bucket"
    ),
    errors=frozenset({409, 412}),
    responses={200: PUBLISHED},
)
def publish_article(call: Call, language: str, slug: str) -> dict[str, Any]:
    from tessera import settings
    from tessera.kb.publish import S3SiteStore, publish

    store = articles.store()
    library, _version = articles.publish(
        store,
        call.caller,
        language,
        slug,
        expected_version=_expected_draft(call),
        library=articles.repository_library(),
    )
    report = publish(library, S3SiteStore(settings.portal_bucket()))
    summary = store.summary(language, slug)
    assert summary is not None
    return {
        **_summary_json(summary),
        "url": f"kb/{language}/{slug}.html",
        "written": report.written,
        "deleted": report.deleted,
    }

"""Admins run the desk: configuration documents (validate, apply as the next version), staff
accounts in the user pool, knowledge-base articles (drafts as numbered versions, then publish,
which renders the portal's KB pages and search indexes again) and the KB feedback report.

The renderer (Jinja2, markdown-it-py) is imported only by the publish route, so the API's cold
start does not pay for it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from chalice.app import Response

from api import schemas
from api.endpoints import ADMINS, Call
from api.service import IF_MATCH, endpoint, expected_version, with_etag
from tessera import bootstrap
from tessera.admin import audit, people
from tessera.config import admin as config_admin
from tessera.errors import ValidationFailed
from tessera.identity import staff
from tessera.identity.access import GROUP_ROLES
from tessera.kb import articles, feedback
from tessera.ports import AuditEntry, StaffMember, StoredConfig
from tessera.privacy import requester

# ------------------------------------------------------------------ configuration documents
KIND_PATH = {"kind": {"type": "string", "pattern": "^[a-z][a-z0-9-]{0,40}$"}}


def _config_json(kind: str, stored: StoredConfig | None) -> Response:
    body = {
        "kind": kind,
        "version": stored.version if stored else 0,
        "text": stored.text if stored else "",
        "applied_by": stored.applied_by if stored else None,
        "applied_at": stored.applied_at.isoformat() if stored else None,
    }
    return with_etag(body)


@endpoint(
    "GET",
    "/api/admin/config/{kind}",
    roles=ADMINS,
    tag="admin",
    path_params=KIND_PATH,
    summary="The applied version of a configuration document",
    responses={200: schemas.CONFIG_DOCUMENT},
)
def get_config(call: Call, kind: str) -> Response:
    return _config_json(kind, config_admin.current_config(bootstrap.dependencies(), kind))


@endpoint(
    "POST",
    "/api/admin/config/{kind}/validate",
    roles=ADMINS,
    tag="admin",
    path_params=KIND_PATH,
    body=schemas.CONFIG_TEXT,
    summary="Check a configuration document without applying it",
    responses={200: schemas.ACCEPTED},
)
def validate_config(call: Call, kind: str) -> dict[str, Any]:
    config_admin.validate_config(kind, call.body["text"], bootstrap.dependencies())
    return {"status": "valid"}


@endpoint(
    "POST",
    "/api/admin/config/canned/preview",
    roles=ADMINS,
    tag="admin",
    body=schemas.CONFIG_TEXT,
    summary="A draft canned document: each response with its placeholders filled for a sample",
    responses={
        200: schemas.obj(
            {
                "items": {
                    "type": "array",
                    "items": schemas.obj(
                        {"title": {"type": "string"}, "text": {"type": "string"}},
                        ["title", "text"],
                    ),
                }
            },
            ["items"],
        )
    },
)
def preview_canned(call: Call) -> dict[str, Any]:
    found = config_admin.preview_canned(call.caller, call.body["text"])
    return {"items": [{"title": title, "text": text} for title, text in found]}


@endpoint(
    "PUT",
    "/api/admin/config/{kind}",
    roles=ADMINS,
    tag="admin",
    path_params=KIND_PATH,
    body=schemas.CONFIG_TEXT,
    headers=IF_MATCH,
    summary="Validate and apply a configuration document as the next version",
    responses={200: schemas.CONFIG_DOCUMENT},
)
def apply_config(call: Call, kind: str) -> Response:
    stored = config_admin.apply_config(
        bootstrap.dependencies(),
        call.caller,
        kind,
        call.body["text"],
        expected_version=expected_version(call, "a document version"),
    )
    return _config_json(kind, stored)


CONFIG_VERSION = schemas.obj(
    {
        "version": {"type": "integer"},
        "text": {"type": "string"},
        "applied_by": {"type": "string"},
        "applied_at": {"type": "string"},
    },
    ["version", "text", "applied_by", "applied_at"],
)


@endpoint(
    "GET",
    "/api/admin/config/{kind}/history",
    roles=ADMINS,
    tag="admin",
    path_params=KIND_PATH,
    query={"limit": {"type": "integer", "minimum": 1, "maximum": 50, "default": 20}},
    summary="The applied versions of a configuration document, newest first (50 at most)",
    responses={200: schemas.obj({"items": {"type": "array", "items": CONFIG_VERSION}}, ["items"])},
)
def config_history(call: Call, kind: str) -> dict[str, Any]:
    found = config_admin.config_history(bootstrap.dependencies(), kind, limit=call.query["limit"])
    return {
        "items": [
            {
                "version": s.version,
                "text": s.text,
                "applied_by": s.applied_by,
                "applied_at": s.applied_at.isoformat(),
            }
            for s in found
        ]
    }


@endpoint(
    "POST",
    "/api/admin/config/{kind}/revert",
    roles=ADMINS,
    tag="admin",
    path_params=KIND_PATH,
    body=schemas.obj({"version": {"type": "integer", "minimum": 1}}, ["version"]),
    headers=IF_MATCH,
    summary=(
        "Apply the text of an earlier version as the next version (If-Match: the version the "
        "admin saw; 412 when another apply came first)"
    ),
    responses={200: schemas.CONFIG_DOCUMENT},
)
def revert_config(call: Call, kind: str) -> Response:
    stored = config_admin.revert_config(
        bootstrap.dependencies(),
        call.caller,
        kind,
        call.body["version"],
        expected_version=expected_version(call, "a document version"),
    )
    return _config_json(kind, stored)


# ------------------------------------------------------------------ staff accounts
GROUP = {"type": "string", "enum": sorted(GROUP_ROLES)}
PASSWORD = {"type": "string", "minLength": 12, "maxLength": 256}
NEW_AGENT = schemas.obj(
    {"email": schemas.EMAIL, "group": GROUP, "temporary_password": PASSWORD}, ["email", "group"]
)
AGENT = schemas.obj(
    {
        "email": {"type": "string"},
        "groups": {"type": "array", "items": GROUP},
        "status": {
            "type": "string",
            "description": "The pool's account status: FORCE_CHANGE_PASSWORD until first sign-in",
        },
        "enabled": {"type": "boolean"},
    },
    ["email", "groups", "status", "enabled"],
)


def agent_json(member: StaffMember) -> dict[str, Any]:
    return {
        "email": member.email,
        "groups": list(member.groups),
        "status": member.status,
        "enabled": member.enabled,
    }


PERSON = schemas.obj(
    {
        **AGENT["properties"],
        "role": {"type": "string", "enum": ["agent", "admin"]},
        "routing_groups": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Groups in the groups document (empty: never assigned)",
        },
        "languages": {"type": "array", "items": {"type": "string"}},
        "skills": {"type": "array", "items": {"type": "string"}},
        "capacity": {"type": ["integer", "null"]},
        "availability": {"type": "string", "enum": ["available", "away", "offline"]},
        "open_tickets": {"type": "integer"},
    },
    [*AGENT["required"], "role", "routing_groups", "availability", "open_tickets"],
)


def person_json(person: people.Person) -> dict[str, Any]:
    profile = person.profile
    return {
        **agent_json(person.account),
        "role": person.role,
        "routing_groups": sorted(profile.groups) if profile else [],
        "languages": sorted(profile.languages) if profile else [],
        "skills": sorted(profile.skills) if profile else [],
        "capacity": profile.capacity if profile else None,
        "availability": person.availability,
        "open_tickets": person.open_tickets,
    }


@endpoint(
    "GET",
    "/api/admin/agents",
    roles=ADMINS,
    tag="admin",
    summary=(
        "Admins: the staff accounts with their role, routing profile (the groups document), "
        "availability and open tickets"
    ),
    responses={200: schemas.obj({"items": {"type": "array", "items": PERSON}}, ["items"])},
)
def list_agents(call: Call) -> dict[str, Any]:
    found = people.people(bootstrap.dependencies(), call.caller)
    return {"items": [person_json(p) for p in found]}


ACCOUNT_PATH = {"email": schemas.EMAIL}
ACCOUNT_CHANGE = {
    **schemas.obj({"group": GROUP, "enabled": {"type": "boolean"}}),
    "minProperties": 1,
}


@endpoint(
    "PATCH",
    "/api/admin/agents/{email}",
    roles=ADMINS,
    tag="admin",
    path_params=ACCOUNT_PATH,
    body=ACCOUNT_CHANGE,
    summary=(
        "Admins: change an account's role (its staff group) or disable/enable it; a disabled "
        "account cannot sign in and is not assigned tickets. Audited."
    ),
    responses={200: AGENT},
)
def change_agent(call: Call, email: str) -> dict[str, Any]:
    deps = bootstrap.dependencies()
    member = None
    if "group" in call.body:
        member = staff.change_group(deps, call.caller, email, call.body["group"])
    if "enabled" in call.body:
        member = staff.set_enabled(deps, call.caller, email, call.body["enabled"])
    assert member is not None
    return agent_json(member)


@endpoint(
    "POST",
    "/api/admin/agents",
    roles=ADMINS,
    tag="admin",
    body=NEW_AGENT,
    errors=frozenset({409}),
    summary=(
        "Admins: create a staff account in a group; the user pool mails a temporary password "
        "(409 when the email has an account)"
    ),
    responses={201: AGENT},
)
def create_agent(call: Call) -> Response:
    member = staff.add_staff(
        bootstrap.dependencies(),
        call.caller,
        call.body["email"],
        call.body["group"],
        call.body.get("temporary_password"),
    )
    return Response(body=agent_json(member), status_code=201)


@endpoint(
    "POST",
    "/api/admin/agents/{email}/invitation",
    roles=ADMINS,
    tag="admin",
    path_params=ACCOUNT_PATH,
    errors=frozenset({404, 409}),
    summary=(
        "Admins: mail an invited account's invitation again with a new temporary password "
        "(409 once it has signed in). Audited."
    ),
    responses={200: AGENT},
)
def resend_invitation(call: Call, email: str) -> dict[str, Any]:
    return agent_json(staff.resend_invitation(bootstrap.dependencies(), call.caller, email))


# ------------------------------------------------------------------ knowledge-base articles
ARTICLE_PATH = {
    "language": schemas.LANGUAGE,
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
    summary, draft, published = articles.article(
        bootstrap.kb_articles(), call.caller, language, slug
    )
    body = {
        **_summary_json(summary),
        "draft": _version_json(draft),
        "published": _version_json(published) if published else None,
    }
    return with_etag(body, status, version=summary.draft)


@endpoint(
    "GET",
    "/api/admin/kb/articles",
    roles=ADMINS,
    tag="kb",
    summary="Admins: the articles written through the API, with their draft and published versions",
    responses={200: schemas.obj({"items": {"type": "array", "items": SUMMARY}}, ["items"])},
)
def list_articles(call: Call) -> dict[str, Any]:
    found = articles.listing(bootstrap.kb_articles(), call.caller)
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
        bootstrap.kb_articles(),
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
        expected_version=expected_version(call, "the draft's version"),
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
    from tessera.kb.publish import publish_site

    store = bootstrap.kb_articles()
    articles.publish(
        store,
        call.caller,
        language,
        slug,
        expected_version=expected_version(call, "the draft's version"),
        library=articles.repository_library(),
    )
    report = publish_site(articles.repository_kb(), store, bootstrap.portal_site())
    summary = store.summary(language, slug)
    assert summary is not None
    audit.record(
        bootstrap.dependencies(),
        call.caller,
        "kb.published",
        f"kb:{language}/{slug}",
        after=f"published v{summary.published}",
    )
    return {
        **_summary_json(summary),
        "url": f"kb/{language}/{slug}.html",
        "written": report.written,
        "deleted": report.deleted,
    }


def _republish() -> Any:
    from tessera.kb.publish import publish_site

    return publish_site(articles.repository_kb(), bootstrap.kb_articles(), bootstrap.portal_site())


UNPUBLISHED = schemas.obj(
    {**SUMMARY_FIELDS, "deleted": {"type": "integer", "description": "Pages removed"}},
    [*SUMMARY_FIELDS, "deleted"],
)


@endpoint(
    "POST",
    "/api/admin/kb/articles/{language}/{slug}/unpublish",
    roles=ADMINS,
    tag="kb",
    path_params=ARTICLE_PATH,
    summary=(
        "Admins: take the article off the portal (its page and search entry are removed when "
        "the knowledge base is rendered again); the draft and its versions stay"
    ),
    responses={200: UNPUBLISHED},
)
def unpublish_article(call: Call, language: str, slug: str) -> dict[str, Any]:
    store = bootstrap.kb_articles()
    before = articles.unpublish(store, call.caller, language, slug)
    report = _republish()
    audit.record(
        bootstrap.dependencies(),
        call.caller,
        "kb.unpublished",
        f"kb:{language}/{slug}",
        before=f"published v{before.published}",
        after="draft",
    )
    summary = store.summary(language, slug)
    assert summary is not None
    return {**_summary_json(summary), "deleted": report.deleted}


@endpoint(
    "DELETE",
    "/api/admin/kb/articles/{language}/{slug}",
    roles=ADMINS,
    tag="kb",
    path_params=ARTICLE_PATH,
    headers=DRAFT_IF_MATCH,
    errors=frozenset({409, 412}),
    summary=(
        "Admins: delete the article and all its versions; a published one leaves the portal "
        "and its search index"
    ),
    responses={200: schemas.obj({"deleted": {"type": "integer"}}, ["deleted"])},
)
def delete_article(call: Call, language: str, slug: str) -> dict[str, Any]:
    store = bootstrap.kb_articles()
    gone = articles.delete(
        store,
        call.caller,
        language,
        slug,
        expected_version=expected_version(call, "the draft's version"),
    )
    report = _republish()
    audit.record(
        bootstrap.dependencies(),
        call.caller,
        "kb.deleted",
        f"kb:{language}/{slug}",
        before=json.dumps(_summary_json(gone), sort_keys=True),
    )
    return {"deleted": report.deleted}


@endpoint(
    "POST",
    "/api/admin/kb/preview",
    roles=ADMINS,
    tag="kb",
    body=schemas.obj({"body": {"type": "string", "maxLength": 100000}}, ["body"]),
    summary=(
        "Admins: an article's markdown as the sanitized HTML a publish would put in its page "
        "(the same renderer)"
    ),
    responses={200: schemas.obj({"html": {"type": "string"}}, ["html"])},
)
def preview_article(call: Call) -> dict[str, Any]:
    from tessera.kb.render import article_html

    return {"html": article_html(call.body["body"])}


# ------------------------------------------------------------------ knowledge-base feedback
REPORT = schemas.obj(
    {
        "articles": {
            "type": "array",
            "items": schemas.obj(
                {
                    "language": {"type": "string"},
                    "article": {"type": "string"},
                    "helpful": {"type": "integer"},
                    "unhelpful": {"type": "integer"},
                    "deflected": {"type": "integer"},
                    "opened_after": {
                        "type": "integer",
                        "description": "Tickets opened after viewing this article",
                    },
                },
                ["language", "article", "helpful", "unhelpful", "deflected", "opened_after"],
            ),
        },
        "missed_searches": {
            "type": "array",
            "items": schemas.obj(
                {
                    "language": {"type": "string"},
                    "query": {"type": "string"},
                    "count": {"type": "integer"},
                },
                ["language", "query", "count"],
            ),
        },
        "searches": {
            "type": "array",
            "items": schemas.obj(
                {"language": {"type": "string"}, "count": {"type": "integer"}},
                ["language", "count"],
            ),
            "description": "Searches readers made, per language",
        },
        "tickets_after_view": {
            "type": "integer",
            "description": "Tickets opened after viewing any article (each once)",
        },
    },
    ["articles", "missed_searches", "searches", "tickets_after_view"],
)


@endpoint(
    "GET",
    "/api/admin/kb/report",
    roles=ADMINS,
    tag="kb",
    summary=(
        "Votes, deflections and tickets opened after viewing, per article and language; "
        "searches per language, and those with no result"
    ),
    responses={200: REPORT},
)
def kb_report(call: Call) -> dict[str, Any]:
    found = feedback.report(bootstrap.kb_feedback())
    return {
        "articles": [asdict(a) for a in found.articles],
        "missed_searches": [asdict(m) for m in found.missed],
        "searches": [{"language": lang, "count": n} for lang, n in found.searches.items()],
        "tickets_after_view": found.tickets_after_view,
    }


# ------------------------------------------------------------------ a requester's data
@endpoint(
    "POST",
    "/api/admin/privacy/export",
    roles=ADMINS,
    tag="admin",
    body=schemas.PRIVACY_REQUEST,
    summary="Everything held about a requester: their tickets, messages, events, other items",
    responses={200: schemas.PRIVACY_EXPORT},
)
def privacy_export(call: Call) -> dict[str, Any]:
    deps = bootstrap.dependencies()
    found = requester.export_requester(deps.tickets, bootstrap.archive(), call.body["email"])
    # Who took whose data out is the accountability an export owes: the address is kept here.
    audit.record(
        deps,
        call.caller,
        "privacy.exported",
        f"requester:{found['email']}",
        after=f"{len(found['tickets'])} tickets",
    )
    return found


@endpoint(
    "POST",
    "/api/admin/privacy/erase",
    roles=ADMINS,
    tag="admin",
    body=schemas.PRIVACY_REQUEST,
    summary="Erase a requester: messages redacted, files deleted, address replaced; audit kept",
    responses={200: schemas.PRIVACY_ERASURE},
)
def privacy_erase(call: Call) -> dict[str, Any]:
    deps = bootstrap.dependencies()
    erasure = requester.erase_requester(
        deps.tickets,
        bootstrap.archive(),
        bootstrap.attachments,
        call.body["email"],
        actor=call.caller.actor,
        raw_mail=deps.raw_mail,
    )
    # The audit names the alias, never the erased address (the log keeps no personal data).
    audit.record(
        deps,
        call.caller,
        "privacy.erased",
        f"requester:{erasure.alias}",
        after=f"{erasure.tickets} tickets, {erasure.messages} messages, {erasure.files} files",
    )
    return erasure.as_dict()


# ------------------------------------------------------------------ the audit log
AUDIT_QUERY = {
    "actor": {"type": "string", "maxLength": 254, "description": "An admin's email"},
    "from": {"type": "string", "maxLength": 40, "description": "Default: 30 days before to"},
    "to": {"type": "string", "maxLength": 40, "description": "ISO-8601 with a zone; default: now"},
}
AUDIT_ENTRY = schemas.obj(
    {
        "id": {"type": "string"},
        "at": {"type": "string"},
        "actor": {"type": "string"},
        "action": {"type": "string"},
        "target": {"type": "string"},
        "before": {"type": "string"},
        "after": {"type": "string"},
    },
    ["id", "at", "actor", "action", "target", "before", "after"],
)


def _audit_entries(call: Call) -> Sequence[AuditEntry]:
    q = call.query
    return audit.search(
        bootstrap.dependencies(),
        call.caller,
        actor=q.get("actor"),
        start=_instant(q, "from"),
        end=_instant(q, "to"),
    )


def _instant(query: Mapping[str, Any], name: str) -> datetime | None:
    if not query.get(name):
        return None
    try:
        value = datetime.fromisoformat(str(query[name]).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(name, "must be a time such as 2026-01-31T00:00:00Z") from None
    if value.tzinfo is None:
        raise ValidationFailed(name, "must name its time zone, e.g. end in Z")
    return value.astimezone(UTC)


@endpoint(
    "GET",
    "/api/admin/audit",
    roles=ADMINS,
    tag="admin",
    query=AUDIT_QUERY,
    summary="Admins: the admin actions, newest first, by actor and time (at most 1000)",
    responses={200: schemas.obj({"items": {"type": "array", "items": AUDIT_ENTRY}}, ["items"])},
)
def audit_log(call: Call) -> dict[str, Any]:
    return {
        "items": [
            {**asdict(e), "at": e.at.isoformat().replace("+00:00", "Z")}
            for e in _audit_entries(call)
        ]
    }


@endpoint(
    "GET",
    "/api/admin/audit.csv",
    roles=ADMINS,
    tag="admin",
    query=AUDIT_QUERY,
    summary="Admins: the same entries as GET /api/admin/audit, as a CSV download",
    responses={
        200: {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
)
def audit_csv(call: Call) -> Response:
    return Response(
        body=audit.as_csv(_audit_entries(call)),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="tessera-audit.csv"',
        },
    )


# ------------------------------------------------------------------ try rules before applying
RULES_TEXT = {"type": "string", "maxLength": 200000, "description": "A draft rules.yaml"}
RULES_TRIAL = schemas.obj(
    {
        "text": RULES_TEXT,
        "ticket": {"type": "string", "pattern": "^[0-9A-Za-z]{1,40}$"},
    },
    ["ticket"],
)
OUTCOME = {"type": "object", "description": "The rules' decision: fired rules, fields, tier..."}


@endpoint(
    "POST",
    "/api/admin/rules/test",
    roles=ADMINS,
    tag="admin",
    body=RULES_TRIAL,
    summary=(
        "Dry run: what a draft rule set (or the applied one, without text) decides for one "
        "stored ticket (id or number). Writes nothing"
    ),
    responses={
        200: schemas.obj(
            {
                "target": {"type": "string"},
                "lines": {"type": "array", "items": {"type": "string"}},
                "outcome": OUTCOME,
            },
            ["target", "lines", "outcome"],
        ),
        404: schemas.ERROR,  # no such ticket
    },
)
def test_rules(call: Call) -> dict[str, Any]:
    from tessera.routing import simulation

    trial = simulation.try_rules(
        bootstrap.dependencies(),
        call.caller,
        call.body.get("text"),
        call.body["ticket"],
    )
    return asdict(trial)


@endpoint(
    "POST",
    "/api/admin/rules/simulate",
    roles=ADMINS,
    tag="admin",
    body=schemas.obj(
        {"text": RULES_TEXT, "days": {"type": "integer", "minimum": 1, "maximum": 90}},
        ["text", "days"],
    ),
    summary=(
        "Replay the tickets created in the last N days (newest first, 500 at most) against a "
        "draft rule set; those it would route differently from the applied rules. Writes nothing"
    ),
    responses={
        200: schemas.obj(
            {
                "replayed": {"type": "integer"},
                "capped": {"type": "boolean"},
                "cap": {"type": "integer"},
                "differences": {
                    "type": "array",
                    "items": schemas.obj(
                        {
                            "id": {"type": "string"},
                            "number": {"type": "integer"},
                            "subject": {"type": "string"},
                            "before": OUTCOME,
                            "after": OUTCOME,
                        },
                        ["id", "number", "subject", "before", "after"],
                    ),
                },
            },
            ["replayed", "capped", "cap", "differences"],
        )
    },
)
def simulate_rules(call: Call) -> dict[str, Any]:
    from tessera.routing import simulation

    found = simulation.simulate_draft(
        bootstrap.dependencies(), call.caller, call.body["text"], days=call.body["days"]
    )
    return {
        "replayed": found.replayed,
        "capped": found.capped,
        "cap": simulation.SIMULATION_CAP,
        "differences": [
            {
                "id": d.ticket.id,
                "number": d.ticket.number,
                "subject": d.ticket.subject,
                "before": d.before,
                "after": d.after,
            }
            for d in found.differences
        ],
    }


# ------------------------------------------------------------------ the mail quarantine
MAIL_ID = {"mail_id": {"type": "string", "pattern": "^[A-Za-z0-9._=+-]{1,200}$"}}
RAW_MAIL_LIMIT = 4 * 1024 * 1024  # base64 in a JSON body under Lambda's 6 MB response
HELD = schemas.obj(
    {
        "id": {"type": "string"},
        "reason": {"type": "string"},
        "at": {"type": "string"},
        "sender": {"type": "string"},
        "size": {"type": "integer"},
    },
    ["id", "reason", "at", "sender", "size"],
)


def _prefix() -> str:
    from tessera import settings

    return settings.mail_intake().raw_mail_prefix


@endpoint(
    "GET",
    "/api/admin/mail/quarantine",
    roles=ADMINS,
    tag="admin",
    summary=(
        "Admins: the mail intake quarantined (oldest first, 100 at most), with the sender, and "
        "the intake's safeguards in force (the mail-filters document's limits)"
    ),
    responses={
        200: schemas.obj(
            {
                "items": {"type": "array", "items": HELD},
                "limits": schemas.obj(
                    {
                        "max_mail_bytes": {"type": "integer"},
                        "open_tickets_per_requester": {"type": "integer"},
                        "auto_responses_per_sender": {"type": "integer"},
                        "auto_response_window_minutes": {"type": "integer"},
                    },
                    [
                        "max_mail_bytes",
                        "open_tickets_per_requester",
                        "auto_responses_per_sender",
                        "auto_response_window_minutes",
                    ],
                ),
            },
            ["items", "limits"],
        )
    },
)
def quarantine_list(call: Call) -> dict[str, Any]:
    from tessera.mail import quarantine
    from tessera.mail.filters import MailFilters

    deps = bootstrap.dependencies()
    found = quarantine.held_mail(deps, call.caller, prefix=_prefix())
    limits = deps.config().get("mail-filters") or MailFilters()
    return {
        "items": [
            {
                "id": h.id,
                "reason": h.reason,
                "at": h.at.isoformat(),
                "sender": h.sender,
                "size": h.size,
            }
            for h in found
        ],
        "limits": {
            "max_mail_bytes": limits.max_mail_bytes,
            "open_tickets_per_requester": limits.open_tickets_per_requester,
            "auto_responses_per_sender": limits.auto_responses_per_sender,
            "auto_response_window_minutes": limits.auto_response_window_minutes,
        },
    }


@endpoint(
    "GET",
    "/api/admin/mail/quarantine/{mail_id}/raw",
    roles=ADMINS,
    tag="admin",
    path_params=MAIL_ID,
    errors=frozenset({413}),
    summary=(
        "Admins: a quarantined mail's raw MIME (base64), for the console to save as a file — "
        "never shown as a page (413 above 4 MB: read it from the raw-mail bucket)"
    ),
    responses={
        200: schemas.obj(
            {"filename": {"type": "string"}, "base64": {"type": "string"}},
            ["filename", "base64"],
        )
    },
)
def quarantine_raw(call: Call, mail_id: str) -> dict[str, Any]:
    import base64

    from api.endpoints import PayloadTooLarge
    from tessera.mail import quarantine

    raw = quarantine.raw_mail(bootstrap.dependencies(), call.caller, mail_id, prefix=_prefix())
    if len(raw) > RAW_MAIL_LIMIT:
        raise PayloadTooLarge("mail_id", f"the mail is {len(raw)} bytes: read it from the bucket")
    return {"filename": f"{mail_id}.eml", "base64": base64.b64encode(raw).decode("ascii")}


@endpoint(
    "POST",
    "/api/admin/mail/quarantine/{mail_id}/reprocess",
    roles=ADMINS,
    tag="admin",
    path_params=MAIL_ID,
    summary=(
        "Admins: run a quarantined mail through intake again (SES verdicts count as passed); "
        "it leaves the quarantine when it makes a ticket or a reply"
    ),
    responses={
        200: schemas.obj(
            {
                "result": {"type": "string"},
                "ticket_id": {"type": ["string", "null"]},
                "number": {"type": ["integer", "null"]},
                "reason": {"type": "string"},
            },
            ["result", "ticket_id", "number", "reason"],
        )
    },
)
def quarantine_reprocess(call: Call, mail_id: str) -> dict[str, Any]:
    from tessera.mail import quarantine

    outcome = quarantine.reprocess_held(
        bootstrap.dependencies(), call.caller, mail_id, prefix=_prefix()
    )
    return asdict(outcome)


@endpoint(
    "POST",
    "/api/admin/mail/quarantine/{mail_id}/discard",
    roles=ADMINS,
    tag="admin",
    path_params=MAIL_ID,
    summary=(
        "Admins: take a mail off the quarantine list; its raw MIME stays in the raw-mail bucket"
    ),
    responses={200: schemas.ACCEPTED},
)
def quarantine_discard(call: Call, mail_id: str) -> dict[str, Any]:
    from tessera.mail import quarantine

    quarantine.discard_held(bootstrap.dependencies(), call.caller, mail_id, prefix=_prefix())
    return {"status": "discarded"}


BOUNCED = schemas.obj(
    {"address": {"type": "string"}, "reason": {"type": "string"}, "at": {"type": "string"}},
    ["address", "reason", "at"],
)


@endpoint(
    "GET",
    "/api/admin/mail/bounced",
    roles=ADMINS,
    tag="admin",
    summary="Admins: addresses marked bouncing (no automatic mail goes to them), newest first",
    responses={200: schemas.obj({"items": {"type": "array", "items": BOUNCED}}, ["items"])},
)
def bounced_list(call: Call) -> dict[str, Any]:
    from tessera.mail import quarantine

    found = quarantine.bounced_addresses(bootstrap.dependencies(), call.caller)
    return {
        "items": [{"address": b.address, "reason": b.reason, "at": b.at.isoformat()} for b in found]
    }


@endpoint(
    "POST",
    "/api/admin/mail/bounced/unblock",
    roles=ADMINS,
    tag="admin",
    body=schemas.obj({"address": schemas.EMAIL}, ["address"]),
    summary="Admins: automatic mail goes to a bouncing address again (404 if it is not marked)",
    responses={200: schemas.ACCEPTED, 404: schemas.ERROR},  # 404: not marked bouncing
)
def unblock_bounced(call: Call) -> dict[str, Any]:
    from tessera.mail import quarantine

    quarantine.unblock_address(bootstrap.dependencies(), call.caller, call.body["address"])
    return {"status": "unblocked"}

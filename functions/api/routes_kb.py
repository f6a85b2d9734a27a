"""Knowledge-base feedback: helpful votes (and the deflections among them), searches that found
nothing, and the report admins read. The pages themselves are static objects in the portal
bucket (tessera.kb.publish); these routes only record what readers do."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from chalice.app import Response

from api import schemas
from api.app import endpoint
from api.endpoints import ADMINS, PUBLIC, Call
from tessera.kb import feedback

LANGUAGE = {"type": "string", "pattern": "^[a-z]{2,3}$"}
VOTE = schemas.obj(
    {
        "article": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,80}$"},
        "language": LANGUAGE,
        "helpful": {"type": "boolean"},
        "source": {"type": "string", "enum": ["kb", "ticket-form"], "default": "kb"},
    },
    ["article", "language", "helpful"],
)
MISSED = schemas.obj(
    {"language": LANGUAGE, "query": {"type": "string", "minLength": 1, "maxLength": 200}},
    ["language", "query"],
)
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
                },
                ["language", "article", "helpful", "unhelpful", "deflected"],
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
    },
    ["articles", "missed_searches"],
)


@endpoint(
    "POST",
    "/api/kb/votes",
    roles=PUBLIC,
    tag="kb",
    body=VOTE,
    summary="Was this article helpful? (a yes from the ticket form's suggestions is a deflection)",
    responses={202: schemas.ACCEPTED},
)
def kb_vote(call: Call) -> Response:
    b = call.body
    feedback.vote(
        feedback.store(),
        language=b["language"],
        article=b["article"],
        helpful=b["helpful"],
        source=b.get("source", "kb"),
    )
    return Response(body={"status": "recorded"}, status_code=202)


@endpoint(
    "POST",
    "/api/kb/missed-searches",
    roles=PUBLIC,
    tag="kb",
    body=MISSED,
    summary="A knowledge-base search that found no article (what to write next)",
    responses={202: schemas.ACCEPTED},
)
def kb_missed_search(call: Call) -> Response:
    feedback.missed_search(
        feedback.store(), language=call.body["language"], query=call.body["query"]
    )
    return Response(body={"status": "recorded"}, status_code=202)


@endpoint(
    "GET",
    "/api/admin/kb/report",
    roles=ADMINS,
    tag="kb",
    summary="Votes, deflections and searches with no result, per article and language",
    responses={200: REPORT},
)
def kb_report(call: Call) -> dict[str, Any]:
    found = feedback.report(feedback.store())
    return {
        "articles": [asdict(a) for a in found.articles],
        "missed_searches": [asdict(m) for m in found.missed],
    }

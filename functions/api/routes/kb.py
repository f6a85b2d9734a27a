"""Knowledge-base feedback from readers: helpful votes (and the deflections among them) and
searches that found nothing. The pages themselves are static objects in the portal bucket
(tessera.kb.publish); these routes only record what readers do (admins read the report:
api/routes/admin.py)."""

from __future__ import annotations

from chalice.app import Response

from api import schemas
from api.endpoints import PUBLIC, Call
from api.service import endpoint
from tessera import bootstrap
from tessera.kb import feedback

VOTE = schemas.obj(
    {
        "article": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,80}$"},
        "language": schemas.LANGUAGE,
        "helpful": {"type": "boolean"},
        "source": {"type": "string", "enum": ["kb", "ticket-form"], "default": "kb"},
    },
    ["article", "language", "helpful"],
)
MISSED = schemas.obj(
    {"language": schemas.LANGUAGE, "query": {"type": "string", "minLength": 1, "maxLength": 200}},
    ["language", "query"],
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
        bootstrap.kb_feedback(),
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
        bootstrap.kb_feedback(), language=call.body["language"], query=call.body["query"]
    )
    return Response(body={"status": "recorded"}, status_code=202)

"""Knowledge-base feedback from readers: helpful votes (and the deflections among them) and
searches (those that found nothing among them). The pages themselves are static objects in the
portal bucket (tessera.kb.publish); these routes only record what readers do (admins read the
report: api/routes/admin.py; the articles viewed before a ticket come with the ticket:
api/routes/tickets.py)."""

from __future__ import annotations

from chalice.app import Response

from api import schemas
from api.endpoints import PUBLIC, Call
from api.service import endpoint
from tessera import bootstrap
from tessera.kb import feedback

VOTE = schemas.obj(
    {
        "article": schemas.ARTICLE_SLUG,
        "language": schemas.LANGUAGE,
        "helpful": {"type": "boolean"},
        "source": {"type": "string", "enum": ["kb", "ticket-form"], "default": "kb"},
    },
    ["article", "language", "helpful"],
)
SEARCH = schemas.obj(
    {
        "language": schemas.LANGUAGE,
        "query": {"type": "string", "minLength": 1, "maxLength": 200},
        "results": {
            "type": "integer",
            "minimum": 0,
            "maximum": 1000,
            "description": "How many articles the search found (0: a miss)",
        },
    },
    ["language", "query", "results"],
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
    "/api/kb/searches",
    roles=PUBLIC,
    tag="kb",
    body=SEARCH,
    summary=(
        "A knowledge-base search a reader made (the portal: once they stop typing); "
        "one that found no article is also a miss (what to write next)"
    ),
    responses={202: schemas.ACCEPTED},
)
def kb_search(call: Call) -> Response:
    b = call.body
    feedback.searched(
        bootstrap.kb_feedback(), language=b["language"], query=b["query"], results=b["results"]
    )
    return Response(body={"status": "recorded"}, status_code=202)

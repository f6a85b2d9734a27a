"""Reports (docs/reports.md): the summary the dashboard and integrators share, as JSON or CSV,
the tickets behind a number (CSV), and CSAT comments. Admins and leads see everyone's numbers;
an agent sees their own (the rows of ``agent`` = themselves)."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from api import schemas
from api.endpoints import STAFF, Call
from api.service import endpoint
from tessera import bootstrap
from tessera.errors import Forbidden
from tessera.identity.access import Principal, sees_team_reports
from tessera.reports import deflection, workload
from tessera.reports import summary as reports
from tessera.reports.metrics import DIMENSIONS

DATE: schemas.Schema = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
WINDOW = {
    "from": {**DATE, "description": "First local date, YYYY-MM-DD"},
    "to": {**DATE, "description": "Last local date (included), YYYY-MM-DD"},
    "tz": {"type": "string", "maxLength": 64, "default": "UTC", "description": "IANA zone"},
}
GROUP_BY: schemas.Schema = {"type": "string", "enum": list(DIMENSIONS)}
TIMES = {"type": "object", "additionalProperties": {"type": ["number", "null"]}}
FIGURES = {
    "type": "object",
    "properties": {
        "key": {"type": "string"},
        "created": {"type": "integer"},
        "solved": {"type": "integer"},
        "reopened": {"type": "integer"},
        "first_response": TIMES,
        "next_reply": TIMES,
        "resolution": TIMES,
        "fcr_rate": {"type": ["number", "null"]},
        "csat": {"type": "object"},
        "sla": {"type": "object"},
    },
    "required": [
        "key",
        "created",
        "solved",
        "reopened",
        "first_response",
        "resolution",
        "fcr_rate",
        "csat",
        "sla",
    ],
}
SUMMARY = {
    "type": "object",
    "properties": {
        "rows": {"type": "array", "items": FIGURES},
        "totals": FIGURES,
        "series": {"type": "array", "items": FIGURES},
        "scope": {"type": "string", "enum": ["team", "own"]},
        "error_bound": {"type": "number"},
    },
    "required": ["rows", "totals", "scope", "error_bound"],
}
CSV = {"text/csv": {"schema": {"type": "string"}}}


def _scope(principal: Principal, group_by: str | None) -> tuple[str | None, str | None]:
    """``(group_by, only)``: an agent's numbers are the row of ``agent`` = themselves."""
    if sees_team_reports(principal):
        return group_by, None
    if group_by not in (None, "agent"):
        raise Forbidden("agents see their own numbers (group_by agent); leads see the team's")
    return "agent", principal.email


def _csv(lines: Any, filename: str) -> Response:
    return Response(
        body="".join(lines),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


@endpoint(
    "GET",
    "/api/reports/summary",
    roles=STAFF,
    tag="reports",
    query={
        **WINDOW,
        "group_by": GROUP_BY,
        "interval": {"type": "string", "enum": list(reports.INTERVALS)},
        "format": {"type": "string", "enum": ["json", "csv"], "default": "json"},
    },
    summary="The numbers per agent, group, channel, customer, domain, mailbox, tag, priority or "
    "language (and a series per day, week or month), as JSON or CSV",
    responses={
        200: {
            "description": "The numbers (format=csv: the same rows as CSV)",
            "content": {"application/json": {"schema": SUMMARY}, **CSV},
        }
    },
)
def reports_summary(call: Call) -> Any:
    q = call.query
    w = reports.window(q.get("from"), q.get("to"), q["tz"])
    group_by, only = _scope(call.caller, q.get("group_by"))
    answer = reports.summary(
        bootstrap.report_aggregates(), w, group_by=group_by, only=only, interval=q.get("interval")
    )
    answer["scope"] = "own" if only else "team"
    if q["format"] == "csv":
        return _csv(reports.summary_csv(answer), f"tessera-summary-{w.first}-{w.last}.csv")
    return answer


@endpoint(
    "GET",
    "/api/reports/tickets",
    roles=STAFF,
    tag="reports",
    query={
        **WINDOW,
        "metric": {"type": "string", "enum": list(reports.LIST_METRICS)},
        "group_by": GROUP_BY,
        "key": {"type": "string", "minLength": 1, "maxLength": 320},
    },
    summary="The tickets behind a number (created, solved or reopened in the window, of one "
    "row's key), as CSV: every one",
    responses={200: {"description": "CSV", "content": CSV}},
)
def reports_tickets(call: Call) -> Response:
    q = call.query
    w = reports.window(q.get("from"), q.get("to"), q["tz"])
    group_by, key = q.get("group_by"), q.get("key")
    if not sees_team_reports(call.caller) and (group_by, key) != ("agent", call.caller.email):
        raise Forbidden("agents see their own tickets (group_by agent, key: themselves)")
    metric = q.get("metric") or "created"
    lines = reports.ticket_list_csv(
        bootstrap.report_aggregates(), w, metric=metric, dimension=group_by, value=key
    )
    return _csv(lines, f"tessera-{metric}-{w.first}-{w.last}.csv")


COMMENT = schemas.obj(
    {
        "ticket_id": {"type": "string"},
        "number": {"type": "integer"},
        "score": {"type": "integer"},
        "comment": {"type": "string"},
        "agent": {"type": "string"},
        "group": {"type": "string"},
        "at": {"type": "string"},
    },
    ["ticket_id", "number", "score", "comment", "at"],
)


@endpoint(
    "GET",
    "/api/reports/comments",
    roles=STAFF,
    tag="reports",
    query=WINDOW,
    summary="CSAT comments rated in the window, newest first (an agent: on their tickets)",
    responses={200: schemas.obj({"items": {"type": "array", "items": COMMENT}}, ["items"])},
)
def reports_comments(call: Call) -> dict[str, Any]:
    q = call.query
    w = reports.window(q.get("from"), q.get("to"), q["tz"])
    only = None if sees_team_reports(call.caller) else call.caller.email
    found = reports.comments(bootstrap.report_aggregates(), w, only=only)
    keep = ("ticket_id", "number", "score", "comment", "agent", "group", "at")
    return {"items": [{k: c[k] for k in keep if k in c} for c in found]}


WORKLOAD_ITEM = schemas.obj(
    {
        "agent": {"type": "string"},
        "open": {"type": "integer"},
        "waiting": {"type": "integer"},
        "assigned": {"type": "integer"},
        "capacity": {"type": "integer"},
        "utilisation": {"type": "number"},
        "at_least": {"type": "boolean"},
    },
    ["agent", "open", "waiting", "assigned", "capacity", "utilisation", "at_least"],
)


@endpoint(
    "GET",
    "/api/reports/workload",
    roles=STAFF,
    tag="reports",
    summary="Agent workload now: open assigned tickets per agent beside routing's capacity "
    "(an agent: their own line)",
    responses={200: schemas.obj({"items": {"type": "array", "items": WORKLOAD_ITEM}}, ["items"])},
)
def reports_workload(call: Call) -> dict[str, Any]:
    found = workload.workload(bootstrap.dependencies(), call.caller)
    return {
        "items": [
            {
                "agent": w.agent,
                "open": w.open,
                "waiting": w.waiting,
                "assigned": w.assigned,
                "capacity": w.capacity,
                "utilisation": w.utilisation,
                "at_least": w.at_least,
            }
            for w in found
        ]
    }


DEFLECTION = schemas.obj(
    {
        "helpful": {"type": "integer"},
        "unhelpful": {"type": "integer"},
        "helpful_rate": {"type": ["number", "null"]},
        "deflected": {"type": "integer"},
        "searches": {"type": "integer", "description": "Searches readers made, every language"},
        "missed_searches": {"type": "integer"},
        "top_missed": {"type": "array", "items": {"type": "object"}},
        "tickets_after_view": {
            "type": "integer",
            "description": "Tickets customers opened after viewing any article (each once)",
        },
        "since": {"type": "string"},
    },
    [
        "helpful",
        "unhelpful",
        "helpful_rate",
        "deflected",
        "searches",
        "missed_searches",
        "top_missed",
        "tickets_after_view",
    ],
)


@endpoint(
    "GET",
    "/api/reports/kb",
    roles=STAFF,
    tag="reports",
    summary="KB deflection: helpful votes, deflections, searches (and those with no result), "
    "tickets opened after viewing an article; all-time (leads and admins)",
    responses={200: DEFLECTION},
)
def reports_kb(call: Call) -> dict[str, Any]:
    found = deflection.deflection(bootstrap.kb_feedback(), call.caller)
    return {
        "helpful": found.helpful,
        "unhelpful": found.unhelpful,
        "helpful_rate": found.helpful_rate,
        "deflected": found.deflected,
        "searches": found.searches,
        "missed_searches": found.missed_searches,
        "top_missed": [
            {"language": m.language, "query": m.query, "count": m.count} for m in found.top_missed
        ],
        "tickets_after_view": found.tickets_after_view,
        "since": "always",
    }

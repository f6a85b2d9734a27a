"""DynamoDB calls and in-process latency per API route, next to a bare GetItem in the same run.

Everything runs in this process on moto (``mock_aws``), provisioned from template.yaml as the
local stack provisions it (tables with their indexes, the user pool, the signing secret, ...),
with ApiFunction's own environment. Each route is invoked through the real handler
(``api.app.app``) with the REST API proxy event API Gateway sends (``tessera_local.http``), so
authentication, validation, rate counters and the use case are all measured. Staff sign in
through ``POST /api/auth/login`` (moto's Cognito); the only substitution is where the ID token's
signing key comes from: moto's published JWKS read from its package, since nothing listens on
the JWKS URL in-process. A customer signs in through ``POST /api/auth/session`` with a magic
link signed as ``tessera.identity.customers.request_magic_link`` signs it.

Every AWS call is counted by wrapping botocore's ``BaseClient._make_api_call``. A list route (one
answering with a page of tickets) must make exactly one Query per page and no Scan; a route that
does not is printed with ``FLAG``. Latency is the median of ``--runs`` requests after one
untimed warm-up; the ``GetItem`` row is a bare ``get_item`` of one ticket on the same table.
Figures are moto's in-process cost (no network): they compare routes with each other and with
one storage call, not with a deployed API.

Then, per view of the agents' workspace (``GET /api/views``, as one agent): the Query calls and
the index items each read (DynamoDB's ``ScannedCount``) for one page (``limit`` 10) and for the
view's count, before and after the table grows by tickets in none of the views: each is one
Query, and what it reads follows the page or the view, never the table.

Run: ``.venv/bin/python -m bench.api --runs 25`` from the repository (as a module: run as a
script, this file would shadow the ``api`` package). A measurement, not a
test: it exits 0 and prints what it flags.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import itertools
import json
import os
import secrets
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SEED_TICKETS = 30  # more than one page (limit 25) in each list
SLA = """\
calendars:
  - name: always
    timezone: UTC
    hours: {mon-sun: "00:00-24:00"}
default_calendar: always
policies:
  - name: bench
    targets:
      default: {first_response: 30m}
"""
ROOT = Path(__file__).resolve().parents[1]
GROWTH_TICKETS = 60  # closed tickets added between the two view measurements: in no view
VIEW_PAGE = 10
PASSWORD = "Bench-pass-12345"  # noqa: S105 - staff of the in-process (moto) pool only


@dataclass
class Row:
    label: str
    list_route: bool
    median_ms: float
    calls: dict[str, int]  # "dynamodb:Query" -> calls per request (the most a timed run made)

    @property
    def flags(self) -> list[str]:
        problems = []
        if self.calls.get("dynamodb:Scan"):
            problems.append("Scan")
        if self.list_route and self.calls.get("dynamodb:Query", 0) != 1:
            problems.append(f"{self.calls.get('dynamodb:Query', 0)} Query per page (want 1)")
        return problems


class CallCounter:
    """Counts every botocore API call made while it is installed, by ``service:Operation``, and
    the items DynamoDB Queries read (``ScannedCount``: before any filter, what is paid for)."""

    def __init__(self) -> None:
        self.calls: collections.Counter[str] = collections.Counter()
        self.items_read = 0

    @contextmanager
    def installed(self) -> Iterator[None]:
        from botocore.client import BaseClient

        original = BaseClient._make_api_call
        counter = self

        def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
            counter.calls[f"{client.meta.service_model.endpoint_prefix}:{operation}"] += 1
            answer = original(client, operation, params)
            if operation == "Query":
                counter.items_read += int(answer.get("ScannedCount", len(answer.get("Items", []))))
            return answer

        BaseClient._make_api_call = counted  # type: ignore[method-assign]
        try:
            yield
        finally:
            BaseClient._make_api_call = original  # type: ignore[method-assign]


def _fake_environment() -> None:
    os.environ.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"})
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        os.environ[name] = "testing"  # never a real account: everything is moto's
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_COGNITO_IDP"):
        os.environ.pop(name, None)


def _use_moto_signing_keys() -> None:
    """Verify moto's ID tokens against moto's published keys (see the module docstring)."""
    import jwt
    from moto.utilities.utils import load_resource

    from tessera.adapters import cognito

    keys = load_resource("cognitoidp/resources/jwks-public.json")["keys"]

    class MotoKeys:
        def get_signing_key_from_jwt(self, token: str) -> Any:
            kid = jwt.get_unverified_header(token).get("kid")
            return jwt.PyJWK(next(k for k in keys if k.get("kid") == kid))

    cognito._jwks = lambda url: MotoKeys()  # type: ignore[assignment]


class Api:
    """Requests to the real handler as API Gateway proxy events."""

    def __init__(self, template: Any) -> None:
        from api.app import app
        from tessera_local.http import api_routes

        self.handler: Callable[[dict[str, Any], Any], Any] = app
        self.routes = [r for r in api_routes(template) if r.function == "ApiFunction"]

    def __call__(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        from tessera_local.http import proxy_event

        path, _, query = path.partition("?")
        route = next(r for r in self.routes if r.method == method and r.pattern.match(path))
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        raw = json.dumps(body).encode() if body is not None else b""
        # The handler's log and metric lines (EMF on stdout, as in Lambda) are not this
        # report's: they would interleave with its table.
        with contextlib.redirect_stdout(io.StringIO()):
            result = self.handler(proxy_event(route, method, path, query, headers, raw), None)
        payload = result.get("body") or ""
        return int(result["statusCode"]), json.loads(payload) if payload else None


def _world(api: Api, template: Any) -> dict[str, Any]:
    """Staff and a customer signed in, tickets enough for more than a page."""
    import boto3

    from tessera import bootstrap
    from tessera.identity import customers
    from tessera_local.demo import create_staff

    create_staff(template, boto3.client("cognito-idp"), PASSWORD)
    tokens = {}
    for role, email in (("admin", "admin@example.com"), ("agent", "alice@example.com")):
        status, body = api("POST", "/api/auth/login", {"email": email, "password": PASSWORD})
        assert status == 200, body
        tokens[role] = body["token"]
    # The routing directory (alice in support and billing: her group views) and an SLA every
    # open ticket runs (30 minutes, every hour counts: each is "breaching" when measured).
    for kind, text in (("groups", (ROOT / "infra/config/groups.yaml").read_text()), ("sla", SLA)):
        status, body = api(
            "PUT", f"/api/admin/config/{kind}", {"text": text}, token=tokens["admin"]
        )
        assert status == 200, body
    tickets = []
    for n in range(SEED_TICKETS):
        status, ticket = api(
            "POST",
            "/api/tickets",
            {"subject": f"Bench {n}", "body": "x", "requester": "carol@customer.test"},
            token=tokens["agent"],
        )
        assert status == 201, ticket
        status, ticket = api(
            "PATCH",
            f"/api/tickets/{ticket['id']}",
            {"status": "open", "group": "billing", "assignee": "alice@example.com"},
            token=tokens["agent"],
        )
        assert status == 200, ticket
        tickets.append(ticket)
    # A few tickets in each of the other views: unassigned in support, pending, solved.
    for n, changes in enumerate(
        [{"status": "open", "group": "support"}] * 5
        + [{"status": "pending", "group": "billing", "assignee": "alice@example.com"}] * 5
        + [{"status": "solved", "group": "billing", "assignee": "alice@example.com"}] * 5
    ):
        status, ticket = api(
            "POST",
            "/api/tickets",
            {"subject": f"View {n}", "body": "x", "requester": f"view{n}@customer.test"},
            token=tokens["agent"],
        )
        assert status == 201, ticket
        status, ticket = api(
            "PATCH", f"/api/tickets/{ticket['id']}", changes, token=tokens["agent"]
        )
        assert status == 200, ticket
    # The link request_magic_link would mail (reading it back from moto's SES adds nothing).
    link = bootstrap.signer().sign(
        customers.MAGIC_LINK,
        "carol@customer.test",
        ttl_seconds=customers.MAGIC_LINK_TTL,
        n=secrets.token_urlsafe(12),
    )
    status, body = api("POST", "/api/auth/session", {"token": link})
    assert status == 200, body
    tokens["customer"] = body["token"]
    return {"tokens": tokens, "ticket": tickets[0]}


def _cases(world: dict[str, Any]) -> list[tuple[str, str, Any, str]]:
    """(method, path, body, role) per measured route; a callable body is called per request."""
    own = world["ticket"]["id"]
    serial = itertools.count()
    return [
        ("GET", "/api/health", None, "anonymous"),
        ("GET", "/api/tickets?view=all&status=open", None, "agent"),
        ("GET", "/api/tickets?view=mine&status=open", None, "agent"),
        ("GET", "/api/tickets?view=group&group=billing&status=open", None, "agent"),
        ("GET", "/api/me/tickets?tab=open", None, "customer"),
        ("GET", f"/api/tickets/{own}/related", None, "agent"),
        ("GET", f"/api/tickets/{own}", None, "agent"),
        ("GET", f"/api/tickets/{world['ticket']['number']}", None, "agent"),
        ("GET", f"/api/tickets/{own}", None, "customer"),
        ("POST", "/api/tickets", {"subject": "Bench new", "body": "x"}, "agent"),
        # A new tag each time: repeating one change is a no-op (one GetItem, nothing written).
        ("PATCH", f"/api/tickets/{own}", lambda: {"tags": [f"bench-{next(serial)}"]}, "agent"),
        ("POST", f"/api/tickets/{own}/notes", {"text": "note"}, "agent"),
        ("POST", f"/api/tickets/{own}/replies", {"text": "reply"}, "customer"),
        ("GET", "/api/canned-responses", None, "agent"),
        ("GET", "/api/admin/config/canned", None, "admin"),
        ("GET", "/api/admin/agents", None, "admin"),
        # The admin center: the audit log is one Query per month searched (its items only).
        ("GET", "/api/admin/audit", None, "admin"),
        ("GET", "/api/admin/audit?actor=admin@example.com", None, "admin"),
        ("GET", "/api/ticket-form", None, "anonymous"),
        # The agent workspace: a presence heartbeat is one Query (and one PutItem).
        ("PUT", f"/api/tickets/{own}/presence", {"activity": "viewing"}, "agent"),
        ("GET", "/api/me", None, "agent"),
        ("GET", "/api/me/notifications", None, "agent"),
        ("GET", "/api/views", None, "agent"),
        ("GET", "/api/tickets/changes?since=2025-01-01T00:00:00Z", None, "agent"),
        (
            "POST",
            "/api/tickets/bulk",
            lambda: {"ids": [own], "changes": {"add_tags": [f"bulk-{next(serial)}"]}},
            "agent",
        ),
    ]


def _is_list_route(method: str, path: str) -> bool:
    from api import schemas
    from api.endpoints import ENDPOINTS
    from tessera_local.http import Route

    bare = path.partition("?")[0]
    lists = (schemas.PAGE, schemas.TICKET_LIST)

    def answers_a_list(answer: Any) -> bool:
        # A listing that also searches (q=) answers one of a list or a search page.
        return answer in lists or any(a in lists for a in (answer or {}).get("oneOf", []))

    return any(
        spec.method == method
        and Route.make(spec.method, spec.path, "").pattern.match(bare)
        and answers_a_list(spec.responses.get(200))
        for spec in ENDPOINTS
    )


@dataclass
class ViewRow:
    view: str
    tickets: int  # in the table when measured
    page_queries: int
    page_read: int
    page_returned: int
    count_queries: int
    count_read: int
    count: int


def _view_figures(api: Api, world: dict[str, Any], tickets: int) -> list[ViewRow]:
    """One page and the count of each of the agent's views, with the calls and items each
    cost (the count through the repository, as GET /api/views makes it, one view at a time)."""
    from urllib.parse import parse_qs

    from tessera import bootstrap
    from tessera.identity.access import Principal, Role
    from tessera.tickets import queue
    from tessera.tickets.model import Status

    token = world["tokens"]["agent"]
    status, views = api("GET", "/api/views", token=token)
    assert status == 200, views
    deps = bootstrap.dependencies()
    agent = Principal("alice@example.com", frozenset({Role.AGENT}))
    rows = []
    for view in views["items"]:
        page_counter, count_counter = CallCounter(), CallCounter()
        with page_counter.installed():
            status, page = api(
                "GET", f"/api/tickets?{view['query']}&limit={VIEW_PAGE}", token=token
            )
        assert status == 200, page
        query = {k: v[0] for k, v in parse_qs(view["query"]).items()}
        statuses = query.get("status")
        filters = queue.Filters(
            statuses=frozenset(Status(s) for s in statuses.split(",")) if statuses else frozenset()
        )
        selection = queue.selection(
            deps,
            agent,
            view=query["view"],
            group=query.get("group"),
            filters=filters,
            now=datetime.now(UTC),
        )
        count = 0
        if selection is not None:
            with count_counter.installed():
                count, _capped = deps.tickets.count(selection, cap=queue.COUNT_CAP)
        rows.append(
            ViewRow(
                view=view["id"],
                tickets=tickets,
                page_queries=page_counter.calls["dynamodb:Query"],
                page_read=page_counter.items_read,
                page_returned=len(page["items"]),
                count_queries=count_counter.calls["dynamodb:Query"],
                count_read=count_counter.items_read,
                count=count,
            )
        )
    return rows


def _grow(api: Api, world: dict[str, Any], n: int) -> None:
    """``n`` more tickets, closed: in the table, in none of the views."""
    token = world["tokens"]["agent"]
    for i in range(n):
        status, ticket = api(
            "POST",
            "/api/tickets",
            {"subject": f"Old {i}", "body": "x", "requester": f"old{i}@customer.test"},
            token=token,
        )
        assert status == 201, ticket
        status, ticket = api(
            "PATCH", f"/api/tickets/{ticket['id']}", {"status": "closed"}, token=token
        )
        assert status == 200, ticket


def measure(runs: int) -> tuple[float, list[Row]]:
    """The bare GetItem's median (ms) and one row per route."""
    bare, rows, _views = measure_all(runs)
    return bare, rows


def measure_all(runs: int) -> tuple[float, list[Row], list[ViewRow]]:
    """The bare GetItem's median (ms), one row per route, and the per-view figures before and
    after the table grows."""
    import boto3
    import moto

    _fake_environment()
    with moto.mock_aws():
        from tessera_local.provision import provision
        from tessera_local.template import Template

        template = Template.load(parameters={"PortalBaseUrl": "http://bench.invalid"})
        provision(template, boto3.Session())
        variables = template.function_properties("ApiFunction")["Environment"]["Variables"]
        os.environ.update({k: str(v) for k, v in template.resolve(variables).items()})
        _use_moto_signing_keys()
        api = Api(template)
        world = _world(api, template)
        dynamodb = boto3.client("dynamodb")
        table = str(template.ref("TicketsTable"))
        key = _ticket_key(world["ticket"]["id"])

        def get_item() -> None:
            assert "Item" in dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)

        bare = _median_ms(get_item, runs)
        rows = [
            _measure_route(api, world, method, path, body, role, runs)
            for method, path, body, role in _cases(world)
        ]
        views = _view_figures(api, world, _tickets_in(dynamodb, table))
        _grow(api, world, GROWTH_TICKETS)
        views += _view_figures(api, world, _tickets_in(dynamodb, table))
    return bare, rows, views


def _tickets_in(dynamodb: Any, table: str) -> int:
    """How many tickets the table holds (a COUNT of the ByKind index: the bench's own
    bookkeeping, outside any measured request)."""
    answer = dynamodb.query(
        TableName=table,
        IndexName="ByKind",
        KeyConditionExpression="kind = :k",
        ExpressionAttributeValues={":k": {"S": "ticket"}},
        Select="COUNT",
    )
    return int(answer["Count"])


def _ticket_key(ticket_id: str) -> dict[str, Any]:
    """The key of the ticket's own item, as the repository reads it."""
    from tessera.adapters.dynamodb.tickets import TICKET_SK

    return {"pk": {"S": f"T#{ticket_id}"}, "sk": {"S": TICKET_SK}}


def _measure_route(
    api: Api, world: dict[str, Any], method: str, path: str, body: Any, role: str, runs: int
) -> Row:
    token = world["tokens"].get(role)
    counter = CallCounter()
    per_run: list[collections.Counter[str]] = []

    def once() -> None:
        before = collections.Counter(counter.calls)
        status, answer = api(method, path, body() if callable(body) else body, token=token)
        assert status < 300, (method, path, status, answer)
        per_run.append(counter.calls - before)

    with counter.installed():
        median = _median_ms(once, runs)
    timed = per_run[1:]  # not the warm-up, which fills caches (applied config: 30 s)
    most = {name: max(run[name] for run in timed) for name in counter.calls}
    label = f"{method} {path.replace(world['ticket']['id'], '{id}')} ({role})"
    return Row(label, _is_list_route(method, path), median, most)


def _median_ms(action: Callable[[], Any], runs: int) -> float:
    action()  # warm-up: first-use imports and clients
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    bare, rows, views = measure_all(args.runs)
    width = max(len(r.label) for r in rows)
    print(f"{'route (caller)':<{width}}  {'median ms':>9}  {'x GetItem':>9}  AWS calls per request")
    print(f"{'bare dynamodb GetItem':<{width}}  {bare:>9.2f}  {1:>9.1f}  dynamodb:GetItem 1")
    for row in rows:
        calls = ", ".join(f"{name} {n}" for name, n in sorted(row.calls.items()) if n)
        flags = f"  FLAG: {'; '.join(row.flags)}" if row.flags else ""
        kind = " [list]" if row.list_route else ""
        print(
            f"{row.label:<{width}}  {row.median_ms:>9.2f}  {row.median_ms / bare:>9.1f}  "
            f"{calls or '-'}{kind}{flags}"
        )
    print(
        f"\nper view (alice, limit {VIEW_PAGE}): DynamoDB Query calls and items read, for one "
        f"page and for the view's count; then again with {GROWTH_TICKETS} more tickets in none"
    )
    header = ("view", "tickets", "page Query", "page read", "returned")
    header += ("count Query", "count read", "count")
    print("  ".join(f"{h:>12}" for h in header))
    for v in views:
        cells = (v.view, v.tickets, v.page_queries, v.page_read, v.page_returned)
        cells += (v.count_queries, v.count_read, v.count)
        print("view " + "  ".join(f"{c:>12}" for c in cells))
    flagged = [r.label for r in rows if r.flags]
    flagged += [
        f"view {v.view} ({v.tickets} tickets)"
        for v in views
        if v.page_queries > 1 or v.count_queries > 1
    ]
    print(f"\n{len(flagged)} route(s) flagged" + (": " + ", ".join(flagged) if flagged else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

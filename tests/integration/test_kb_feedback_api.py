"""Readers' feedback through the API on the local stack: the searches the portal reports (every
one counted, those with no result as misses too) and the tickets customers open after viewing
articles, as GET /api/reports/kb and GET /api/admin/kb/report answer them. Other tests share
the stack, so totals are read before and after and each test names its own articles."""

from __future__ import annotations

import uuid
from typing import Any

import jsonschema
import pytest

from tests.localstack import RunningStack, customer_session

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def admin(stack: RunningStack) -> str:
    return stack.login()


def kb_figures(stack: RunningStack, admin: str) -> dict[str, Any]:
    status, body = stack.request("GET", "/api/reports/kb", token=admin)
    assert status == 200, body
    return dict(body)


def admin_report(stack: RunningStack, admin: str) -> dict[str, Any]:
    status, body = stack.request("GET", "/api/admin/kb/report", token=admin)
    assert status == 200, body
    return dict(body)


def opened_after(report: dict[str, Any], language: str, article: str) -> int:
    return sum(
        a["opened_after"]
        for a in report["articles"]
        if (a["language"], a["article"]) == (language, article)
    )


def searches_in(report: dict[str, Any], language: str) -> int:
    return sum(s["count"] for s in report["searches"] if s["language"] == language)


def test_a_ticket_opened_after_viewing_counts_on_each_article_and_once_in_total(
    stack: RunningStack, admin: str
) -> None:
    # Given a customer who viewed two articles (one of them twice, as a client might send it)
    slug = f"viewed-{uuid.uuid4().hex[:8]}"
    viewed = [
        {"language": "en", "article": slug},
        {"language": "fa", "article": slug},
        {"language": "en", "article": slug},
    ]
    customer = customer_session(stack, f"viewer.{uuid.uuid4().hex[:6]}@customer.test")
    before = kb_figures(stack, admin)
    # When she opens a ticket with them, and her client repeats the request with its key
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"subject": "After reading", "body": "Still stuck.", "viewed_articles": viewed}
    first = stack.request("POST", "/api/tickets", body, token=customer, headers=key)
    again = stack.request("POST", "/api/tickets", body, token=customer, headers=key)
    assert (first[0], again[0], again[1]["id"]) == (201, 201, first[1]["id"]), first
    # Then each article counts the ticket once, and the total counts it once
    report = admin_report(stack, admin)
    assert (opened_after(report, "en", slug), opened_after(report, "fa", slug)) == (1, 1)
    after = kb_figures(stack, admin)
    assert after["tickets_after_view"] == before["tickets_after_view"] + 1
    # And a ticket after no article counts nowhere
    status, _ = stack.request(
        "POST", "/api/tickets", {"subject": "Straight in", "body": "Hi."}, token=customer
    )
    assert status == 201
    assert kb_figures(stack, admin)["tickets_after_view"] == after["tickets_after_view"]


@pytest.mark.parametrize(
    ("viewed", "field"),
    [
        ([{"language": "en", "article": "../etc"}], "viewed_articles[0].article"),
        ([{"language": "english", "article": "refund"}], "viewed_articles[0].language"),
        ([{"language": "en"}], "viewed_articles[0].article"),
        ([{"language": "en", "article": f"a-{n}"} for n in range(11)], "viewed_articles"),
    ],
)
def test_articles_viewed_that_are_not_articles_are_refused_and_nothing_is_opened(
    stack: RunningStack, admin: str, viewed: list[dict[str, str]], field: str
) -> None:
    customer = customer_session(stack, "viewer.refused@customer.test")
    subject = f"Refused {uuid.uuid4().hex[:6]}"
    body = {"subject": subject, "body": "x", "viewed_articles": viewed}
    status, error = stack.request("POST", "/api/tickets", body, token=customer)
    assert (status, error["error"]["field"]) == (400, field), error
    _status, mine = stack.request("GET", "/api/me/tickets?limit=100", token=customer)
    assert subject not in [t["subject"] for t in mine["items"]]


def test_staff_opening_a_ticket_send_no_articles_viewed(stack: RunningStack, admin: str) -> None:
    # Given an agent opening a ticket for a caller, with articles "viewed"
    before = kb_figures(stack, admin)
    body = {
        "subject": "For a caller",
        "body": "x",
        "requester": "caller@customer.test",
        "viewed_articles": [{"language": "en", "article": "refund"}],
    }
    status, error = stack.request(
        "POST", "/api/tickets", body, token=stack.login("alice@example.com")
    )
    # Then it is refused naming the field, and nothing is counted
    assert (status, error["error"]["field"]) == (400, "viewed_articles"), error
    assert kb_figures(stack, admin)["tickets_after_view"] == before["tickets_after_view"]


def test_every_search_counts_and_one_with_no_result_is_a_miss(
    stack: RunningStack, admin: str
) -> None:
    # Given the figures before, and a query no other test makes
    before_figures, before_report = kb_figures(stack, admin), admin_report(stack, admin)
    words = f"gift card {uuid.uuid4().hex[:6]}"
    # When a Greek reader's search finds two articles and an anonymous one's finds nothing
    for search in (
        {"language": "el", "query": "κωδικός", "results": 2},
        {"language": "el", "query": words, "results": 0},
    ):
        assert stack.request("POST", "/api/kb/searches", search)[0] == 202
    # Then both are searches, in Greek, and the second a miss under its words
    after_figures, after_report = kb_figures(stack, admin), admin_report(stack, admin)
    assert after_figures["searches"] == before_figures["searches"] + 2
    assert after_figures["missed_searches"] == before_figures["missed_searches"] + 1
    assert searches_in(after_report, "el") == searches_in(before_report, "el") + 2
    assert [m["count"] for m in after_report["missed_searches"] if m["query"] == words] == [1]


@pytest.mark.parametrize(
    ("search", "field"),
    [
        ({"language": "en", "query": "refund"}, "results"),
        ({"language": "en", "query": "refund", "results": -1}, "results"),
        ({"language": "en", "query": " ... ", "results": 0}, "query"),
        ({"language": "EN", "query": "refund", "results": 1}, "language"),
    ],
)
def test_a_search_report_that_is_not_one_is_refused(
    stack: RunningStack, admin: str, search: dict[str, Any], field: str
) -> None:
    before = kb_figures(stack, admin)["searches"]
    status, error = stack.request("POST", "/api/kb/searches", search)
    assert (status, error["error"]["field"]) == (400, field), error
    assert kb_figures(stack, admin)["searches"] == before


def test_the_kb_figures_match_the_openapi_document(stack: RunningStack, admin: str) -> None:
    _status, document = stack.request("GET", "/api/openapi.json")
    for path, answer in (
        ("/api/reports/kb", kb_figures(stack, admin)),
        ("/api/admin/kb/report", admin_report(stack, admin)),
    ):
        schema = document["paths"][path]["get"]["responses"]["200"]["content"]
        jsonschema.validate(answer, schema["application/json"]["schema"])

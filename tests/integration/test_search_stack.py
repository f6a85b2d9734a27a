"""Ticket search on the local stack: the indexer fed by the change feed, the two search routes,
each customer's permission, and ``tessera search rebuild``."""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.localstack import RunningStack, customer_session, start_stack, stop_stack, wait_for

pytestmark = pytest.mark.integration


def word() -> str:
    """A word no other ticket has (letters only: digits would be another term)."""
    return "zq" + "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:10])


def search(stack: RunningStack, token: str, query: str, *, mine: bool = False) -> Any:
    path = "/api/me/tickets" if mine else "/api/tickets"
    status, body = stack.request("GET", f"{path}?q={quote(query)}", token=token)
    assert status == 200, body
    return body


def test_a_new_ticket_and_a_new_reply_are_found_within_seconds(stack: RunningStack) -> None:
    # Given an agent and a customer
    agent = stack.login("alice@example.com")
    customer = customer_session(stack, "finder@customer.test")
    first, second = word(), word()
    # When the customer opens a ticket with a word nobody used
    started = time.monotonic()
    status, ticket = stack.request(
        "POST",
        "/api/tickets",
        {"subject": "Lost parcel", "body": f"my {first} box"},
        token=customer,
    )
    assert status == 201
    # Then the agent finds it well within the promised 60 s
    found = wait_for(lambda: search(stack, agent, first)["items"], timeout=60)
    seconds = time.monotonic() - started
    assert found, "not searchable after 60 s"
    assert [h["number"] for h in found] == [ticket["number"]]
    assert seconds < 60
    # And the snippet marks the word, as text
    assert [p["text"] for p in found[0]["snippet"] if p["match"]] == [first]
    # When the agent replies with another new word, then that is found too
    status, replied = stack.request(
        "POST", f"/api/tickets/{ticket['id']}/replies", {"text": f"found {second}"}, token=agent
    )
    assert status == 201, replied
    found = wait_for(lambda: search(stack, agent, f"{second} parcel")["items"], timeout=60)
    assert found, "".join(line for line in stack.output[-80:] if "rror" in line)


def test_a_customer_finds_only_their_own_tickets_and_no_notes(stack: RunningStack) -> None:
    # Given two customers' tickets with the same words, and a note on A's
    shared, secret = word(), word()
    agent = stack.login("alice@example.com")
    a = customer_session(stack, "searcher.a@customer.test")
    b = customer_session(stack, "searcher.b@customer.test")
    _s, mine = stack.request("POST", "/api/tickets", {"subject": shared, "body": "x"}, token=a)
    _s, theirs = stack.request("POST", "/api/tickets", {"subject": shared, "body": "y"}, token=b)
    stack.request("POST", f"/api/tickets/{mine['id']}/notes", {"text": secret}, token=agent)
    assert wait_for(lambda: search(stack, agent, secret)["items"], timeout=60)
    assert wait_for(lambda: search(stack, agent, shared)["total"] == 2, timeout=60)
    # When each searches
    for_a = search(stack, a, shared, mine=True)
    for_b = search(stack, b, shared, mine=True)
    # Then each sees, and counts, only their own, and the note's word finds nothing
    assert ([h["id"] for h in for_a["items"]], for_a["total"]) == ([mine["id"]], 1)
    assert ([h["id"] for h in for_b["items"]], for_b["total"]) == ([theirs["id"]], 1)
    assert search(stack, a, secret, mine=True) == {
        "items": [],
        "cursor": None,
        "total": 0,
        "sort": "relevance",
    }
    assert search(stack, b, f"#{mine['number']}", mine=True)["total"] == 0


def test_bad_search_parameters_are_refused_naming_the_field(stack: RunningStack) -> None:
    agent = stack.login("alice@example.com")
    for path, field in (
        ("/api/tickets?q=" + "x" * 201, "q"),
        ("/api/tickets?q=a&sort=priority", "sort"),
        ("/api/tickets?sort=relevance", "sort"),
        ("/api/tickets?q=a&cursor=nope", "cursor"),
        ("/api/tickets?q=a&created_from=yesterday", "created_from"),
        ("/api/tickets?channel=email", "channel"),
        ("/api/tickets?q=%21%21", "q"),
    ):
        status, body = stack.request("GET", path, token=agent)
        assert status == 400, (path, body)
        assert body["error"].get("field") == field, (path, body)


def test_rebuild_recreates_the_index_from_the_table(stack: RunningStack) -> None:
    # Given a searchable ticket
    agent = stack.login("alice@example.com")
    customer = customer_session(stack, "rebuild@customer.test")
    term = word()
    stack.request("POST", "/api/tickets", {"subject": term, "body": "b"}, token=customer)
    assert wait_for(lambda: search(stack, agent, term)["items"], timeout=60)
    # When the operator rebuilds the index
    done = stack.cli("search", "rebuild")
    # Then it reported progress and the count, and the ticket is still found
    assert done.returncode == 0, done.stderr
    assert "read " in done.stderr
    assert "search index rebuilt:" in done.stdout
    assert search(stack, agent, term)["total"] == 1


def test_tickets_changed_just_before_a_crash_are_searchable_after_the_restart(
    tmp_path: Path,
) -> None:
    # Given a stack that answered three new tickets, killed at once (no clean stop)
    crashed = start_stack(tmp_path, fresh=True)
    term = word()
    customer = customer_session(crashed, "crash.search@customer.test")
    for i in range(3):
        status, _ = crashed.request(
            "POST", "/api/tickets", {"subject": f"{term} {i}", "body": "x"}, token=customer
        )
        assert status == 201
    crashed.process.send_signal(signal.SIGKILL)
    crashed.process.wait()
    # When it starts again from its data
    again = start_stack(tmp_path)
    try:
        agent = again.login("alice@example.com")
        # Then the change feed delivers what it had not checkpointed: all three are found
        assert wait_for(lambda: search(again, agent, term)["total"] == 3, timeout=60)
    finally:
        stop_stack(again)

"""Ticket search in a real Chromium: the console's `/` box (a number opens the ticket, words show
results as a view with the matched words marked as text), as one types, in Persian and on a
phone; the portal's "My tickets" search (only the customer's own tickets); no serious
accessibility violation."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.steps import sign_in_by_mail
from tests.e2e.test_console import agent_page, portal_ticket, sign_in  # noqa: F401 - fixture
from tests.localstack import RunningStack, customer_session, wait_for


def word() -> str:
    return "zq" + "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:8])


def searchable(stack: RunningStack, query: str) -> None:
    token = stack.login()

    def found() -> bool:
        _status, body = stack.request("GET", f"/api/tickets?q={query}", token=token)
        return bool(body["items"])

    assert wait_for(found, timeout=60), f"{query} never became searchable"


def serious(page: Page) -> list[object]:
    results = Axe().run(page)
    return [
        (v["id"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def test_the_slash_box_searches_words_and_jumps_to_numbers(
    agent_page: Callable[..., Page],  # noqa: F811 - the fixture
    stack: RunningStack,
) -> None:
    # Given a ticket with a word nobody else used, written with markup-looking text
    term = word()
    ticket = portal_ticket(stack, f"Parcel {term} <b>late</b>")
    searchable(stack, term)
    page = agent_page()
    sign_in(page, stack)
    # When the agent presses / and types the word
    page.keyboard.press("/")
    page.keyboard.type(term)
    page.keyboard.press("Enter")
    # Then the results view lists the ticket with the word marked, the markup shown as text
    hits = page.locator("ol.hits li")
    expect(hits).to_have_count(1)
    expect(hits.first.locator("mark")).to_have_text(term)
    expect(hits.first.locator("a")).to_contain_text("<b>late</b>")
    assert page.locator("ol.hits b").count() == 0
    expect(page.get_by_role("status").filter(has_text="1 ticket found")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "console-search.png"), full_page=True)
    assert serious(page) == []
    # When the agent types a prefix in the search page's box, then it searches as one types
    box = page.get_by_label("Search tickets", exact=True)
    box.fill(term[:-2])
    expect(hits.first.locator("mark")).to_have_text(term)
    # When Enter is pressed on a hit, then its ticket opens
    page.locator("main h1").click()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"#/tickets/{ticket['id']}$"))
    # When a number is typed in the / box, then that ticket opens at once
    page.goto(f"{stack.url}/console/#/view/all")
    page.keyboard.press("/")
    page.keyboard.type(f"#{ticket['number']}")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"#/tickets/{ticket['id']}$"))


def test_console_search_in_persian_and_on_a_phone(
    agent_page: Callable[..., Page],  # noqa: F811 - the fixture
    stack: RunningStack,
) -> None:
    # Given a ticket in Persian with a ZWNJ word, typed without it by the agent
    term = word()
    portal_ticket(stack, f"می\u200cخواهم پولم را {term}")
    searchable(stack, term)
    page = agent_page(viewport={"width": 390, "height": 844})
    sign_in(page, stack)
    page.locator("label.language select").select_option("fa")
    page.goto(f"{stack.url}/console/#/search?q=" + "میخواهم%20" + term)
    expect(page.locator("ol.hits li").first).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the results scroll sideways ({width}px)"
    page.screenshot(path=str(ARTIFACTS / "console-search-fa-phone.png"), full_page=True)


def test_the_portal_searches_only_my_tickets(page: Page, stack: RunningStack) -> None:
    # Given two customers' tickets with the same word
    term = word()
    email = f"seeker.{uuid.uuid4().hex[:6]}@customer.test"
    other = customer_session(stack, f"other.{uuid.uuid4().hex[:6]}@customer.test")
    stack.request("POST", "/api/tickets", {"subject": f"Theirs {term}", "body": "x"}, token=other)
    sign_in_by_mail(page, stack, email)
    mine = customer_session(stack, email)
    stack.request(
        "POST", "/api/tickets", {"subject": "Mine", "body": f"my {term} order"}, token=mine
    )
    token = stack.login()
    assert wait_for(
        lambda: stack.request("GET", f"/api/tickets?q={term}", token=token)[1]["total"] == 2,
        timeout=60,
    )
    # When she searches in "My tickets"
    page.goto(f"{stack.url}/tickets.html")
    page.get_by_label("Search my tickets").fill(term)
    page.get_by_role("button", name="Search", exact=True).click()
    # Then only her ticket is listed, counted alone, with the word marked
    hits = page.locator("#search-hits li")
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text("Mine")
    expect(hits.first.locator("mark")).to_have_text(term)
    expect(page.locator("#search-count")).to_have_text("1 ticket found")
    page.screenshot(path=str(ARTIFACTS / "portal-search.png"), full_page=True)
    assert serious(page) == []
    # And "Show all" brings the tabs back
    page.get_by_role("button", name="Show all").click()
    expect(page.get_by_role("tablist")).to_be_visible()

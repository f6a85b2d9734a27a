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
from tests.e2e.test_console import (  # noqa: F401 - agent_page: the fixture
    agent_page,
    portal_ticket,
    routed_ticket,
    send_mail,
    sign_in,
)
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


def jump(page: Page, typed: str) -> None:
    page.keyboard.press("/")
    expect(page.get_by_label("Search tickets or open one by number")).to_be_focused()
    page.keyboard.type(typed)
    page.keyboard.press("Enter")


def test_the_slash_box_finds_a_partial_word_and_tells_numbers_from_tickets(
    agent_page: Callable[..., Page],  # noqa: F811 - the fixture
    stack: RunningStack,
) -> None:
    # Given a ticket whose subject has a word and an order number that is no ticket's number
    term = word()
    order = str(7_000_000 + uuid.uuid4().int % 1_000_000)
    ticket = portal_ticket(stack, f"Order {order} {term}")
    searchable(stack, term)
    page = agent_page()  # any failed request (a 404) is a console error that fails the test
    sign_in(page, stack)
    hits = page.locator("ol.hits li")
    # When the agent types part of the word in the / box, then the ticket is found by it
    jump(page, term[:-3])
    expect(page).to_have_url(re.compile(r"#/search\?q=" + term[:-3] + "$"))
    expect(hits).to_have_count(1)
    expect(hits.first.locator("mark").first).to_have_text(term)
    # When the order number is typed, then it is searched for, not opened as a ticket
    page.goto(f"{stack.url}/console/#/view/all")
    jump(page, order)
    expect(page).to_have_url(re.compile(r"#/search\?q=" + order + "$"))
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text(term)
    # When the ticket's own number is typed, then the ticket opens
    page.goto(f"{stack.url}/console/#/view/all")
    jump(page, str(ticket["number"]))
    expect(page).to_have_url(re.compile(f"#/tickets/{ticket['id']}$"))


def test_the_search_views_filters_and_address_follow_the_agent(
    agent_page: Callable[..., Page],  # noqa: F811 - the fixture
    stack: RunningStack,
) -> None:
    # Given two tickets with one word, one of them urgent, and a third with another word
    term, other = word(), word()
    urgent = portal_ticket(stack, f"Urgent {term}")
    calm = portal_ticket(stack, f"Calm {term}")
    third = portal_ticket(stack, f"Third {other}")
    admin = stack.login()
    changed = stack.request(
        "PATCH", f"/api/tickets/{urgent['id']}", {"priority": "urgent"}, token=admin
    )
    assert changed[0] == 200
    searchable(stack, other)
    assert wait_for(
        lambda: (
            stack.request("GET", f"/api/tickets?q={term}&priority=urgent", token=admin)[1]["total"]
            == 1
        ),
        timeout=60,
    )
    page = agent_page()
    sign_in(page, stack)
    hits = page.locator("ol.hits li")
    # When the search view is opened with a filter in its address, then the filter applies
    page.goto(f"{stack.url}/console/#/search?q={term}&priority=urgent")
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text(urgent["subject"])
    expect(page.locator(".filters select[name=priority]")).to_have_value("urgent")
    # When the filter is cleared and another chosen, then the results and the address follow
    page.locator(".filters select[name=priority]").select_option("")
    expect(hits).to_have_count(2)
    expect(page).not_to_have_url(re.compile("priority="))
    page.locator(".filters select[name=sort]").select_option("created")
    expect(page).to_have_url(re.compile("sort=created"))
    expect(hits.first).to_contain_text(calm["subject"])  # the newer first
    page.locator(".filters input[name=created_from]").fill("2000-01-01")
    page.locator(".filters input[name=created_from]").dispatch_event("change")
    expect(page).to_have_url(re.compile("created_from=2000-01-01"))
    expect(hits).to_have_count(2)
    page.locator(".filters input[name=created_to]").fill("2000-01-02")
    page.locator(".filters input[name=created_to]").dispatch_event("change")
    expect(hits).to_have_count(0)
    expect(page.get_by_text("No ticket matches this search.")).to_be_visible()
    page.goto(f"{stack.url}/console/#/search?q={term}")
    expect(hits).to_have_count(2)
    # When other words are typed, then the address follows them as they are typed
    box = page.get_by_label("Search tickets", exact=True)
    box.fill(other)
    expect(page).to_have_url(re.compile(f"#/search\\?q={other}$"))
    expect(hits).to_have_count(1)
    # When a result is opened and the agent goes Back, then the last words typed are back
    hits.first.locator("a").click()
    expect(page).to_have_url(re.compile(f"#/tickets/{third['id']}$"))
    page.go_back()
    expect(box).to_have_value(other)
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text(third["subject"])
    # When the words typed come back to ones searched before, then they are asked again
    box.fill(term)
    expect(hits).to_have_count(2)
    box.fill(other)
    expect(hits).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "console-search-filters.png"), full_page=True)


def test_a_requester_is_found_by_the_name_their_mail_gave(
    agent_page: Callable[..., Page],  # noqa: F811 - the fixture
    stack: RunningStack,
) -> None:
    # Given mail from "Casey <a made-up last name>" whose address says nothing of it
    last = word().capitalize()
    address = f"cj.{uuid.uuid4().hex[:6]}@customer.test"
    subject = f"Lost parcel {uuid.uuid4().hex[:6]}"
    send_mail(stack, f"Casey {last} <{address}>", subject, "Where is my parcel?")
    ticket = routed_ticket(stack, subject)
    assert ticket["requester_name"] == f"Casey {last}"
    searchable(stack, last)
    page = agent_page()
    sign_in(page, stack)
    # When the agent searches the last name, then the ticket is found in its people
    jump(page, f'"Casey {last}"')
    hits = page.locator("ol.hits li")
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text(subject)
    expect(hits.first.locator(".where")).to_have_text("in the people")
    # And its page calls the requester and the mail's author by that name
    hits.first.locator("a").click()
    expect(page.locator(".panel.requester strong").first).to_have_text(f"Casey {last}")
    expect(page.locator(".message .meta strong").first).to_have_text(f"Casey {last}")


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

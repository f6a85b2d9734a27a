"""The agent console in a real Chromium against the local stack: an agent's day, item by item
(queue and views, bulk changes, the ticket page, the composer, a ticket for a caller, merge,
collisions, notifications and availability, keyboard only, Persian and a phone), untrusted mail
HTML never running, and no serious accessibility violation on the console's pages."""

from __future__ import annotations

import re
import smtplib
import uuid
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, artifact_name
from tests.e2e.steps import PNG
from tests.localstack import PASSWORD, RunningStack, customer_session, wait_for

# The console works against a stack that other tests keep busy: give each expectation time.
expect.set_options(timeout=15_000)


# ---------------------------------------------------------------- steps
@pytest.fixture
def agent_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """Open console pages, each in a browser context of its own (two agents at once), each
    failing the test on any JavaScript error or console error, except refusals the test
    expects (``allowed``: HTTP statuses the page is meant to meet)."""
    opened: list[tuple[Any, Page, list[str]]] = []

    def open_page(*, viewport: dict[str, int] | None = None, allowed: tuple[int, ...] = ()) -> Page:
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 800})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))

        def console_error(message: Any) -> None:
            if message.type != "error":
                return
            text = message.text
            if "img-src cid: data:" in text:  # the mail frame blocking a remote image: its job
                return
            if any(f"status of {status} " in text for status in allowed):
                return
            errors.append(text)

        page.on("console", console_error)
        opened.append((context, page, errors))
        return page

    yield open_page
    ARTIFACTS.mkdir(exist_ok=True)
    for i, (context, page, errors) in enumerate(opened):
        suffix = f"-{i + 1}" if len(opened) > 1 else ""
        page.screenshot(
            path=str(ARTIFACTS / f"{artifact_name(request)}{suffix}.png"), full_page=True
        )
        context.close()
        assert errors == [], f"errors on the page: {errors}"


def sign_in(page: Page, stack: RunningStack, email: str = "admin@example.com") -> None:
    page.goto(f"{stack.url}/console/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Views")).to_be_visible()


def send_mail(stack: RunningStack, sender: str, subject: str, text: str, html: str = "") -> None:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@example.com"
    message["Subject"] = subject
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)


def routed_ticket(stack: RunningStack, subject: str) -> dict[str, Any]:
    """The ticket with this subject once its routing workflow has finished (so its version
    stays put while the test works on it)."""
    token = stack.login()

    def found() -> dict[str, Any] | None:
        _status, page = stack.request("GET", "/api/tickets?view=all&limit=100", token=token)
        for item in page["items"]:
            if item["subject"] == subject:
                _s, ticket = stack.request("GET", f"/api/tickets/{item['id']}", token=token)
                return ticket if ticket["routing_since"] is None else None
        return None

    ticket = wait_for(found, timeout=30, interval=0.3)
    assert ticket, f"no routed ticket {subject!r}"
    return ticket  # type: ignore[no-any-return]


def portal_ticket(stack: RunningStack, subject: str, customer: str | None = None) -> dict[str, Any]:
    email = customer or f"c.{uuid.uuid4().hex[:6]}@customer.test"
    token = customer_session(stack, email)
    status, ticket = stack.request(
        "POST", "/api/tickets", {"subject": subject, "body": f"About {subject}"}, token=token
    )
    assert status == 201, ticket
    return routed_ticket(stack, subject)


def outbox(stack: RunningStack) -> list[dict[str, Any]]:
    _status, mails = stack.request("GET", "/_local/outbox")
    return mails  # type: ignore[no-any-return]


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


# ---------------------------------------------------------------- sign-in
def test_wrong_password_shows_an_error(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    page = agent_page(allowed=(401,))
    page.goto(f"{stack.url}/console/")
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong email or password")
    expect(page.get_by_role("navigation", name="Views")).to_be_hidden()


def test_a_new_agent_chooses_their_own_password_at_first_sign_in(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    # Given an account an admin made with a temporary password
    email = f"new.{uuid.uuid4().hex[:8]}@example.com"
    status, _ = stack.request(
        "POST",
        "/api/admin/agents",
        {"email": email, "group": "agents", "temporary_password": "Temporary-pass-1"},
        token=stack.login(),
    )
    assert status == 201
    # When the agent signs in with it, the console asks for their own password
    page = agent_page(allowed=(401, 403))
    page.goto(f"{stack.url}/console/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("Temporary-pass-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("temporary")
    page.get_by_label("Choose your own password").fill("Chosen-password-2")
    page.get_by_role("button", name="Sign in").click()
    # Then they are in, and their own password works from then on
    expect(page.get_by_role("navigation", name="Views")).to_be_visible()
    assert stack.login(email, "Chosen-password-2")


def test_session_survives_a_reload_and_sign_out_ends_it(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    page = agent_page()
    sign_in(page, stack)
    page.reload()
    expect(page.get_by_role("navigation", name="Views")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Agent sign-in")).to_be_visible()


# ---------------------------------------------------------------- 1. queue and views
def test_views_count_tickets_and_a_new_ticket_appears_without_reload(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    page = agent_page()
    sign_in(page, stack, "alice@example.com")
    rail = page.get_by_role("navigation", name="Views")
    for name in ("My open", "Unassigned in my groups", "Pending and on hold", "Breaching soon"):
        expect(rail.get_by_role("link", name=re.compile(name))).to_be_visible()
    expect(rail.get_by_role("link", name=re.compile("Group billing"))).to_be_visible()
    # The "All open" view, sorted by SLA due, filtered to high priority: the URL keeps it
    rail.get_by_role("link", name=re.compile("All open")).click()
    expect(page.get_by_role("heading", name="All open")).to_be_visible()
    before = int(rail.locator("[data-view=all] .count").inner_text())
    page.get_by_label("Sort by").select_option("sla_due")
    expect(page).to_have_url(re.compile(r"#/view/all\?sort=sla_due"))
    page.get_by_label("Sort by").select_option("updated")

    # When a customer mails in while the agent looks at the view
    subject = unique("Arrived while looking")
    send_mail(stack, "Greta <greta@customer.test>", subject, "Hello, a new question.")
    # Then it appears, and the count grows, without a reload (the changes poll)
    expect(page.get_by_role("row").filter(has_text=subject)).to_be_visible(timeout=40_000)
    expect(rail.locator("[data-view=all] .count")).not_to_have_text(str(before), timeout=20_000)
    # And each row shows what the columns promise
    row = page.get_by_role("row").filter(has_text=subject)
    expect(row).to_contain_text("greta@customer.test")
    expect(row.locator(".sla")).to_contain_text(re.compile(r"in \d+"))


def test_filters_narrow_the_list(agent_page: Callable[..., Page], stack: RunningStack) -> None:
    urgent = portal_ticket(stack, unique("Urgent filter"))
    calm = portal_ticket(stack, unique("Calm filter"))
    admin = stack.login()
    status, _ = stack.request(
        "PATCH", f"/api/tickets/{urgent['id']}", {"priority": "urgent"}, token=admin
    )
    assert status == 200
    page = agent_page()
    sign_in(page, stack)
    page.goto(f"{stack.url}/console/#/view/all?priority=urgent")
    expect(page.get_by_role("row").filter(has_text=urgent["subject"])).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=calm["subject"])).to_have_count(0)
    page.locator(".filters select[name=priority]").select_option("")
    expect(page.get_by_role("row").filter(has_text=calm["subject"])).to_be_visible()


# ---------------------------------------------------------------- 2. bulk actions
def test_bulk_assign_five_tickets_each_audited(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    tag = f"bulk{uuid.uuid4().hex[:6]}"
    tickets = [portal_ticket(stack, unique(f"Bulk {i}")) for i in range(5)]
    admin = stack.login()
    for ticket in tickets:
        status, _ = stack.request(
            "PATCH", f"/api/tickets/{ticket['id']}", {"tags": [tag]}, token=admin
        )
        assert status == 200
    page = agent_page()
    sign_in(page, stack)
    page.goto(f"{stack.url}/console/#/view/all?tag={tag}")
    for ticket in tickets:
        page.get_by_role("row").filter(has_text=ticket["subject"]).get_by_role("checkbox").check()
    bulk = page.get_by_role("form", name="Change the selected tickets")
    expect(bulk).to_contain_text("5 selected")
    bulk.get_by_label("Assign to").select_option("bahram@example.com")
    bulk.get_by_label("Priority").select_option("high")
    bulk.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status")).to_contain_text("5 tickets changed, 0 failed")
    for ticket in tickets:
        row = page.get_by_role("row").filter(has_text=ticket["subject"])
        expect(row).to_contain_text("Bahram")
        expect(row).to_contain_text("High")
        _s, thread = stack.request("GET", f"/api/tickets/{ticket['id']}", token=admin)
        assert thread["assignee"] == "bahram@example.com"
        assert thread["priority"] == "high"
        assert any(e["reason"] == "bulk" for e in thread["events"]), thread["events"]


def test_bulk_reports_the_ticket_that_failed(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    tag = f"bulkfail{uuid.uuid4().hex[:6]}"
    ok, closing = (portal_ticket(stack, unique(f"Bulk fail {i}")) for i in range(2))
    admin = stack.login()
    for ticket in (ok, closing):
        stack.request("PATCH", f"/api/tickets/{ticket['id']}", {"tags": [tag]}, token=admin)
    page = agent_page()
    sign_in(page, stack)
    page.goto(f"{stack.url}/console/#/view/all?tag={tag}")
    for ticket in (ok, closing):
        page.get_by_role("row").filter(has_text=ticket["subject"]).get_by_role("checkbox").check()
    # While they are selected, someone else closes one: it cannot go back to "pending"
    status, _ = stack.request(
        "PATCH", f"/api/tickets/{closing['id']}", {"status": "closed"}, token=admin
    )
    assert status == 200
    bulk = page.get_by_role("form", name="Change the selected tickets")
    bulk.get_by_label("Status").select_option("pending")
    bulk.get_by_role("button", name="Apply").click()
    # Then the other one changed, and the failure names the ticket and why
    expect(page.get_by_role("status")).to_contain_text("1 ticket changed, 1 failed")
    expect(bulk.get_by_role("alert")).to_contain_text(f"#{closing['number']}")
    expect(bulk.get_by_role("alert")).to_contain_text("closed")
    _s, changed = stack.request("GET", f"/api/tickets/{ok['id']}", token=admin)
    assert changed["status"] == "pending"
    # ... and the list is read again: the pending one left "All open", the closed one too
    expect(page.get_by_role("row").filter(has_text=ok["subject"])).to_have_count(0)
    expect(page.get_by_role("row").filter(has_text=closing["subject"])).to_have_count(0)


# ---------------------------------------------------------------- 3, 4. ticket page, composer
def test_an_agent_works_a_mailed_ticket_end_to_end(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    # Given a customer's mail, routed while Eleni is away (so routing gives it to someone else
    # or no one, whichever agent's turn it is after the tickets other tests made)
    customer = f"carol.{uuid.uuid4().hex[:6]}@customer.test"
    subject = unique("Printer jams")
    eleni = stack.login("eleni@example.com")
    assert stack.request("PATCH", "/api/me", {"status": "away"}, token=eleni)[0] == 200
    try:
        send_mail(stack, f"Carol <{customer}>", subject, "My printer jams on every page.")
        ticket = routed_ticket(stack, subject)
    finally:
        assert stack.request("PATCH", "/api/me", {"status": "available"}, token=eleni)[0] == 200
    assert ticket["assignee"] != "eleni@example.com"
    page = agent_page()
    sign_in(page, stack, "eleni@example.com")
    page.goto(f"{stack.url}/console/#/tickets/{ticket['id']}")
    expect(page.get_by_role("heading", name=subject)).to_be_visible()
    customer_message = page.locator(".message.customer").first
    expect(customer_message).to_contain_text("Customer")
    expect(customer_message).to_contain_text("My printer jams")

    # When Eleni takes it
    page.get_by_role("button", name="Take it").click()
    expect(page.locator(".summary")).to_contain_text("Eleni")
    # ... replies with a canned response and a file, and sets it pending
    page.get_by_label("Canned response").select_option(label="Greeting")
    text = page.get_by_label("Reply", exact=True)
    expect(text).to_have_value(re.compile(r"^Hello Carol"))
    expect(text).to_have_value(re.compile(re.escape(subject)))
    page.get_by_label("Attach files").set_input_files(
        {"name": "steps.png", "mimeType": "image/png", "buffer": PNG}
    )
    page.get_by_role("button", name="Send and set pending").click()
    expect(page.get_by_role("status")).to_contain_text("Reply sent")
    reply = page.locator(".message.reply").last
    expect(reply).to_contain_text("Public reply")
    expect(reply).to_contain_text("I am looking into it now")
    expect(reply.get_by_role("button", name=re.compile("steps.png"))).to_be_visible()
    expect(page.locator(".summary")).to_contain_text("Pending")
    # ... and adds an internal note
    page.keyboard.press("Escape")
    page.locator("body").press("n")
    page.get_by_label("Internal note", exact=True).fill("Checked the driver version: 4.2")
    page.get_by_role("button", name="Add note").click()
    note = page.locator(".message.note").last
    expect(note).to_contain_text("Internal note")
    expect(note).to_contain_text("driver version")

    # Then the customer got the reply by mail (with the file), and never the note
    def replied() -> dict[str, Any] | None:
        return next(
            (m for m in outbox(stack) if customer in m["to"] and "looking into it" in m["text"]),
            None,
        )

    mail = wait_for(replied, timeout=15)
    assert mail, "the reply was not mailed"
    assert all("driver version" not in m["text"] for m in outbox(stack))
    # ... the SLA panel shows the targets paused while pending
    expect(page.locator(".sla-panel li[data-paused=true]").first).to_be_visible()
    expect(page.locator(".sla-panel")).to_contain_text("Paused")
    # ... the audit trail says it in words
    page.get_by_text(re.compile(r"Audit trail \(\d+ entries\)")).click()
    expect(page.locator(".audit")).to_contain_text("Assigned to Eleni by Eleni")
    expect(page.locator(".audit")).to_contain_text(
        re.compile("Status (New|Open) → Pending by Eleni")
    )
    expect(page.locator(".audit")).to_contain_text("SLA (policy ‘standard’): Resolution paused")
    # ... and the portal shows the customer the reply, not the note
    token = customer_session(stack, customer)
    portal = agent_page()
    portal.goto(f"{stack.url}/")
    portal.evaluate("(t) => localStorage.setItem('tessera.session', t)", token)
    portal.goto(f"{stack.url}/ticket.html?id={ticket['id']}")
    expect(portal.get_by_text("I am looking into it now")).to_be_visible()
    expect(portal.get_by_text("driver version")).to_have_count(0)


def test_a_macro_sets_fields_with_its_text_and_a_draft_survives_a_reload(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    ticket = portal_ticket(stack, unique("Refund please"))
    page = agent_page()
    sign_in(page, stack)
    page.goto(f"{stack.url}/console/#/tickets/{ticket['id']}")
    # A draft is kept in this browser across a reload, stored in the keystroke's own task (not
    # a frame later, when a reload or a closed tab may already have come)
    page.get_by_label("Reply", exact=True).wait_for()
    kept = page.evaluate(
        """async () => {
          const box = document.querySelector('#composer-text');
          box.value = 'Half-written answer';
          box.dispatchEvent(new Event('input', { bubbles: true }));
          await Promise.resolve();
          return Object.keys(localStorage).filter((k) => k.startsWith('tessera.draft.'))
            .map((k) => JSON.parse(localStorage.getItem(k)).text);
        }"""
    )
    assert kept == ["Half-written answer"]
    page.reload()
    expect(page.get_by_label("Reply", exact=True)).to_have_value("Half-written answer")
    page.get_by_label("Reply", exact=True).fill("")
    # The "Refund processed" macro fills the text and says what else it sets
    page.get_by_label("Canned response").select_option(label="Refund processed")
    expect(page.locator(".macro")).to_contain_text("Status: solved")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Reply sent")
    expect(page.locator(".summary")).to_contain_text("Solved")
    _s, saved = stack.request("GET", f"/api/tickets/{ticket['id']}", token=stack.login())
    assert saved["status"] == "solved"
    assert "refund" in saved["tags"]


def test_requester_panel_lists_their_other_tickets_open_first(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    customer = f"repeat.{uuid.uuid4().hex[:6]}@customer.test"
    old = portal_ticket(stack, unique("Old question"), customer)
    stack.request("PATCH", f"/api/tickets/{old['id']}", {"status": "solved"}, token=stack.login())
    current = portal_ticket(stack, unique("New question"), customer)
    page = agent_page()
    sign_in(page, stack)
    page.goto(f"{stack.url}/console/#/tickets/{current['id']}")
    others = page.locator(".requester .others li")
    expect(others).to_have_count(1)
    expect(others.first).to_contain_text(old["subject"])
    expect(others.first).to_contain_text("Solved")
    others.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name=old["subject"])).to_be_visible()


# ---------------------------------------------------------------- 5, 6. phone ticket, merge
def test_an_agent_opens_a_ticket_for_a_caller(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    caller = f"caller.{uuid.uuid4().hex[:6]}@customer.test"
    subject = unique("Called about an invoice")
    page = agent_page()
    sign_in(page, stack, "alice@example.com")
    page.get_by_role("link", name="New ticket").click()
    page.get_by_label("Customer's email").fill(caller)
    page.get_by_label("phone").check()
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("What they asked").fill("The November invoice never arrived.")
    page.get_by_role("button", name="Open the ticket").click()
    expect(page.get_by_role("heading", name=subject)).to_be_visible()
    expect(page.locator(".summary")).to_contain_text("via phone")
    expect(page.locator(".message").first).to_contain_text("November invoice")
    # Without "notify" the caller is not mailed an acknowledgement
    ticket = routed_ticket(stack, subject)
    assert ticket["channel"] == "phone"
    assert all(caller not in m["to"] for m in outbox(stack))


def test_an_agent_merges_a_duplicate(agent_page: Callable[..., Page], stack: RunningStack) -> None:
    customer = f"dup.{uuid.uuid4().hex[:6]}@customer.test"
    target = portal_ticket(stack, unique("Original"), customer)
    duplicate = portal_ticket(stack, unique("Duplicate"), customer)
    page = agent_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, stack)
    page.goto(f"{stack.url}/console/#/tickets/{duplicate['id']}")
    page.get_by_text("Merge into another ticket").click()
    page.get_by_label("Ticket number").fill(str(target["number"]))
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.get_by_role("heading", name=target["subject"])).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(f"merged into #{target['number']}")
    _s, closed = stack.request("GET", f"/api/tickets/{duplicate['id']}", token=stack.login())
    assert closed["status"] == "closed"
    # The duplicate, closed, offers no reply box: it says why instead
    page.goto(f"{stack.url}/console/#/tickets/{duplicate['id']}")
    expect(page.locator(".closed-note")).to_contain_text("This ticket is closed")
    expect(page.get_by_label("Reply", exact=True)).to_have_count(0)


# ---------------------------------------------------------------- 7. collisions
def test_two_agents_see_each_other_and_the_second_send_warns(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    ticket = portal_ticket(stack, unique("Two agents"))
    alice = agent_page()
    bahram = agent_page(allowed=(412,))
    sign_in(alice, stack, "alice@example.com")
    sign_in(bahram, stack, "bahram@example.com")
    for page in (alice, bahram):
        page.goto(f"{stack.url}/console/#/tickets/{ticket['id']}")
        expect(page.get_by_role("heading", name=ticket["subject"])).to_be_visible()
    # Both see each other (presence, refreshed by polling)
    expect(alice.locator(".presence")).to_contain_text("Bahram is", timeout=25_000)
    expect(bahram.locator(".presence")).to_contain_text("Alice is", timeout=25_000)
    # Bahram starts writing: Alice sees him replying
    bahram.get_by_label("Reply", exact=True).fill("Bahram's answer")
    expect(alice.locator(".presence")).to_contain_text("Bahram is replying", timeout=25_000)
    # Alice sends first; Bahram's send is stopped with a warning, nothing is lost
    alice.get_by_label("Reply", exact=True).fill("Alice's answer")
    alice.get_by_role("button", name="Send", exact=True).click()
    expect(alice.get_by_role("status")).to_contain_text("Reply sent")
    bahram.get_by_role("button", name="Send", exact=True).click()
    warning = bahram.locator(".conflict")
    expect(warning).to_contain_text("changed since you opened it")
    expect(warning).to_contain_text("Alice")
    expect(bahram.get_by_label("Reply", exact=True)).to_have_value("Bahram's answer")
    _s, thread = stack.request("GET", f"/api/tickets/{ticket['id']}", token=stack.login())
    answers = [m["text"] for m in thread["messages"] if m["text"].endswith("'s answer")]
    assert answers == ["Alice's answer"]
    # A plain Send leaves the ticket open (answered, awaiting nothing), not pending
    assert thread["status"] == "open"
    # Reading again keeps his draft; then his send goes through
    bahram.get_by_role("button", name="Reload").first.click()
    expect(bahram.locator(".message.reply")).to_contain_text("Alice's answer")
    bahram.get_by_role("button", name="Send", exact=True).click()
    expect(bahram.get_by_role("status")).to_contain_text("Reply sent")


# ---------------------------------------------------------------- 8. notifications, availability
def test_assignment_notifies_the_agent_and_availability_is_theirs_to_set(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    ticket = portal_ticket(stack, unique("For Eleni"))
    page = agent_page()
    sign_in(page, stack, "eleni@example.com")
    bell = page.locator(".notifications > button")
    before = bell.get_attribute("aria-label")
    status, _ = stack.request(
        "PATCH",
        f"/api/tickets/{ticket['id']}",
        {"assignee": "eleni@example.com"},
        token=stack.login(),
    )
    assert status == 200
    page.reload()
    expect(bell).not_to_have_attribute("aria-label", before or "")
    bell.click()
    item = page.get_by_role("region", name="Notifications").get_by_role(
        "button", name=re.compile(ticket["subject"])
    )
    expect(item).to_contain_text(f"#{ticket['number']} assigned to you")
    item.click()
    expect(page.get_by_role("heading", name=ticket["subject"])).to_be_visible()
    # Mailed too (the agent has not turned it off)
    assert wait_for(
        lambda: any(
            "eleni@example.com" in m["to"] and ticket["subject"] in m["subject"]
            for m in outbox(stack)
        ),
        timeout=10,
    )
    # Away: the header says so, and the API agrees; then back
    page.get_by_label("Availability").select_option("away")
    expect(page.get_by_role("status")).to_contain_text("You are away")
    token = stack.login("eleni@example.com")
    assert stack.request("GET", "/api/me", token=token)[1]["status"] == "away"
    page.get_by_label("Availability").select_option("available")
    expect(page.get_by_role("status")).to_contain_text("You are available")
    # Settings: switch off the assignment mail
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("a ticket is assigned to me").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Settings saved")
    assert stack.request("GET", "/api/me", token=token)[1]["notify"]["assigned"] is False
    stack.request("PATCH", "/api/me", {"notify": {"assigned": True}}, token=token)


# ---------------------------------------------------------------- 10. keyboard only
def test_keyboard_only_take_reply_and_status(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    portal_ticket(stack, unique("Keyboard neighbour"))
    ticket = portal_ticket(stack, unique("Keyboard"))
    page = agent_page()
    sign_in(page, stack)
    page.goto(f"{stack.url}/console/#/view/all?sort=updated")
    first = page.locator("tbody tr").first
    expect(first).to_be_focused()
    # j/k move, Enter opens the row that has focus
    page.keyboard.press("j")
    expect(page.locator("tbody tr").nth(1)).to_be_focused()
    page.keyboard.press("k")
    expect(first).to_be_focused()
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("/")
    expect(page.get_by_label("Search tickets or open one by number")).to_be_focused()
    page.keyboard.type(str(ticket["number"]))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=ticket["subject"])).to_be_visible()
    # a takes it, r writes a reply, s goes to the status
    page.keyboard.press("a")
    expect(page.locator(".summary")).to_contain_text(re.compile("admin", re.IGNORECASE))
    page.keyboard.press("r")
    expect(page.get_by_label("Reply", exact=True)).to_be_focused()
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    page.keyboard.press("s")
    expect(page.locator(".properties select[name=status]")).to_be_focused()
    page.keyboard.press("Escape")  # out of the field: the page's keys work again
    page.keyboard.press("u")
    expect(page.get_by_role("navigation", name="Views")).to_be_visible()


def test_a_list_that_loads_while_the_agent_types_leaves_the_words_in_the_box(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    # Given an agent on an empty list, typing in the / box
    tag = f"typing{uuid.uuid4().hex[:6]}"
    ticket = portal_ticket(stack, unique("Arrives while typing"))
    page = agent_page()
    sign_in(page, stack)
    page.goto(f"{stack.url}/console/#/view/all?tag={tag}")
    expect(page.get_by_text("No tickets match these filters in this view.")).to_be_visible()
    page.keyboard.press("/")
    box = page.get_by_label("Search tickets or open one by number")
    expect(box).to_be_focused()
    page.keyboard.type("half a wo")
    # When a ticket joins the list (the poll reads it again) and its first row is drawn
    status, _ = stack.request(
        "PATCH", f"/api/tickets/{ticket['id']}", {"tags": [tag]}, token=stack.login()
    )
    assert status == 200
    expect(page.get_by_role("row").filter(has_text=ticket["subject"])).to_be_visible(timeout=30000)
    # Then the box keeps the focus and the words, and the typing goes on there
    expect(box).to_be_focused()
    page.keyboard.type("rd")
    expect(box).to_have_value("half a word")


# ---------------------------------------------------------------- 11. language, phone
def test_the_console_in_persian_is_right_to_left(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    ticket = portal_ticket(stack, unique("Persian agent"))
    page = agent_page()
    sign_in(page, stack)
    page.locator("label.language select").select_option("fa")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("navigation", name="نماها")).to_contain_text("باز و با من")
    page.goto(f"{stack.url}/console/#/tickets/{ticket['id']}")
    expect(page.get_by_role("heading", name="ویژگی‌ها")).to_be_visible()
    expect(page.locator(".summary")).to_contain_text(re.compile("[۰-۹]|تازه|باز"))
    box = page.locator(".side").bounding_box()
    main = page.locator(".ticket-page").bounding_box()
    assert box is not None
    assert main is not None
    assert box["x"] < main["x"], "the side panel is on the left in RTL"
    page.screenshot(path=str(ARTIFACTS / "console-fa-ticket.png"), full_page=True)
    page.goto(f"{stack.url}/console/#/view/all")
    expect(page.locator("tbody tr").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "console-fa-queue.png"), full_page=True)
    page.locator("label.language select").select_option("el")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.get_by_role("navigation", name="Προβολές")).to_be_visible()


def test_the_console_fits_a_phone(agent_page: Callable[..., Page], stack: RunningStack) -> None:
    long_url = "https://example.com/" + "a-very-long-path-segment/" * 12
    customer = f"phone.{uuid.uuid4().hex[:6]}@customer.test"
    token = customer_session(stack, customer)
    subject = unique("On a phone")
    stack.request(
        "POST", "/api/tickets", {"subject": subject, "body": f"See {long_url}"}, token=token
    )
    ticket = routed_ticket(stack, subject)
    page = agent_page(viewport={"width": 390, "height": 844})
    sign_in(page, stack)
    for target in ("#/view/all", f"#/tickets/{ticket['id']}"):
        page.goto(f"{stack.url}/console/{target}")
        page.wait_for_timeout(500)
        expect(page.locator("main")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{target}: the page scrolls sideways ({width}px)"
    page.screenshot(path=str(ARTIFACTS / "console-phone-ticket.png"), full_page=True)


# ---------------------------------------------------------------- standards
def test_mail_html_is_shown_sandboxed_and_never_runs(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    subject = unique("Hostile HTML")
    send_mail(
        stack,
        "Mallory <mallory@customer.test>",
        subject,
        "plain version",
        '<p>Hello <b>agent</b><img src="x" onerror="window.top.pwned=1"></p>'
        "<script>window.top.pwned=2</script>",
    )
    ticket = routed_ticket(stack, subject)
    page = agent_page()
    sign_in(page, stack)
    page.goto(f"{stack.url}/console/#/tickets/{ticket['id']}")
    frame = page.locator("iframe.message-html").first
    expect(frame).to_have_attribute("sandbox", re.compile(r"^(?!.*allow-scripts)"))
    expect(page.frame_locator("iframe.message-html").first.locator("b")).to_have_text("agent")
    assert page.evaluate("window.pwned") is None


@pytest.mark.parametrize("where", ["sign-in", "queue", "ticket", "new", "settings"])
def test_the_consoles_pages_have_no_serious_accessibility_violation(
    agent_page: Callable[..., Page], stack: RunningStack, where: str
) -> None:
    page = agent_page()
    if where == "sign-in":
        page.goto(f"{stack.url}/console/")
        expect(page.get_by_role("heading", name="Agent sign-in")).to_be_visible()
    else:
        sign_in(page, stack)
        target = {"queue": "#/view/all", "new": "#/new", "settings": "#/settings"}.get(where)
        if where == "ticket":
            target = f"#/tickets/{portal_ticket(stack, unique('Axe'))['id']}"
        page.goto(f"{stack.url}/console/{target}")
        expect(page.locator("main h1")).to_be_visible()
        page.wait_for_timeout(300)
    results = Axe().run(page)
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert serious == [], serious

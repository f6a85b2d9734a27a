"""What a new customer tripped over in the portal, in Chromium, in English, Persian and Greek, at
desk and phone sizes: search across languages, the way through sign-in, links from ticket mail,
the thread, numbers and words, right-to-left layout, the phone, one header, the rating; and no
serious accessibility violation on the pages customers use."""

from __future__ import annotations

import re
import smtplib
import uuid
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.conftest import ARTIFACTS, artifact_name
from tests.e2e.steps import PNG, link_in, mail_to, sign_in_by_mail
from tests.localstack import RunningStack, customer_session, wait_for

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    ARTIFACTS.mkdir(exist_ok=True)
    opened.screenshot(path=str(ARTIFACTS / f"{artifact_name(request)}-phone.png"), full_page=True)
    context.close()
    assert errors == []


def in_language(page: Page, stack: RunningStack, language: str, path: str = "/") -> None:
    page.goto(f"{stack.url}/")
    page.evaluate("(lang) => localStorage.setItem('tessera.lang', lang)", language)
    page.goto(f"{stack.url}{path}")
    page.wait_for_function("() => document.body.dataset.ready")


def no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"


# ------------------------------------------------------------------------------ 1. search
@pytest.mark.parametrize(("query", "language"), [("پرداخت", "فارسی"), ("σύνδεση", "Ελληνικά")])
def test_a_query_in_another_script_searches_that_languages_articles(
    page: Page, stack: RunningStack, query: str, language: str
) -> None:
    # Given the English portal
    in_language(page, stack, "en")
    box = page.get_by_label("Search the knowledge base")
    expect(box).to_have_attribute("dir", "auto")  # Persian typed here aligns right
    # When a reader types in Persian or Greek
    box.fill(query)
    # Then the articles of that language are found, and the status says in which
    expect(page.locator("#kb-status")).to_contain_text(f"Results in {language}")
    expect(page.locator("#kb-results li").first).to_be_visible()


# ------------------------------------------------------------------------------ 2. sign-in flow
def test_sign_in_from_open_a_ticket_lands_back_on_the_form(
    page: Page, browser: Browser, stack: RunningStack
) -> None:
    # Given a visitor who chose "Open a ticket" and was sent to sign in
    email = f"newcomer.{uuid.uuid4().hex[:6]}@customer.test"
    in_language(page, stack, "en", "/new.html")
    expect(page).to_have_url(re.compile(r"/signin\.html"))
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    # Then the page says what happens, as it happens for any address
    expect(page.get_by_role("status")).to_contain_text(f"we sent a sign-in link to {email}")
    mail = wait_for(lambda: mail_to(stack, email, "#token="), timeout=10)
    assert mail
    # When the link is opened in another browser (the mail app's), it lands on the form
    other = browser.new_context().new_page()
    other.goto(link_in(mail, "token"))
    expect(other).to_have_url(re.compile(r"/new\.html"))
    expect(other.get_by_role("heading", name="Open a ticket")).to_be_visible()
    other.context.close()


# ------------------------------------------------------------------------------ 3. ticket links
def test_a_persian_customers_mail_link_opens_the_ticket_in_persian_signed_in_for_it_only(
    page: Page, stack: RunningStack
) -> None:
    # Given a Persian mail and its acknowledgement
    sender = f"sara.{uuid.uuid4().hex[:6]}@customer.test"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@example.com"
    message["Subject"] = "فاکتور ماه گذشته"
    message["Message-ID"] = f"<{uuid.uuid4()}@customer.test>"
    message.set_content("سلام، فاکتور ماه گذشته را دریافت نکرده‌ام. لطفاً دوباره ارسال کنید.")
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
    ack = wait_for(lambda: mail_to(stack, sender, "#ticket="), timeout=20)
    assert ack
    # When its link is opened
    page.goto(link_in(ack, "ticket"))
    expect(page).to_have_url(re.compile(r"/ticket\.html"))
    page.wait_for_function("() => document.body.dataset.ready")
    # Then the ticket is in Persian, right to left, and the header offers to sign in (this
    # session sees one ticket), never "Sign out"
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator(".nav-signin")).to_be_visible()
    expect(page.locator(".nav-signout")).to_be_hidden()
    # And the acknowledgement in the thread holds no link: it was personal, for the mail only
    expect(page.locator("#thread")).not_to_contain_text("signin.html")
    # And the heading aligns with the page (right), the number without grouping
    heading = page.locator("#ticket-title")
    expect(heading).to_contain_text("#")
    box = heading.bounding_box()
    main = page.locator("main").bounding_box()
    assert box
    assert main
    assert box["x"] + box["width"] > main["x"] + main["width"] - 40
    page.screenshot(path=str(ARTIFACTS / "portal-ticket-fa.png"), full_page=True)


# ------------------------------------------------------------------------------ 4, 5, 9: a ticket
def test_a_new_tickets_files_and_fields_are_shown_on_it_and_the_rating_is_stars(
    page: Page, stack: RunningStack
) -> None:
    # Given a signed-in customer on the form, with a product, an order number and a file
    email = f"tomas.{uuid.uuid4().hex[:6]}@customer.test"
    in_language(page, stack, "en")
    sign_in_by_mail(page, stack, email)
    page.goto(f"{stack.url}/new.html")
    page.get_by_label("Subject").fill("The export button does nothing")
    page.get_by_label("Describe your problem").fill("Clicking Export shows nothing.")
    page.get_by_label("Product").select_option("Web app")
    page.get_by_label("Order number").fill("A-7731")
    page.set_input_files(
        "#new-files", files=[{"name": "screen.png", "mimeType": "image/png", "buffer": PNG}]
    )
    # When it is opened
    page.get_by_role("button", name="Open ticket").click()
    expect(page).to_have_url(re.compile(r"/ticket\.html"))
    # Then the confirmation is at the top, the number without a grouping separator
    status = page.locator("#ticket-status-msg")
    expect(status).to_have_text(re.compile(r"Ticket #\d{4} opened"))
    assert "," not in (status.text_content() or "")
    # And the file is on the first message, with its real size; no message of file names
    mine = page.locator("#thread .message.mine")
    expect(mine).to_have_count(1)
    first = mine.first
    expect(first).to_contain_text("Clicking Export shows nothing.")
    expect(first.get_by_role("button", name=re.compile(r"screen\.png \(\d+\s?B\)"))).to_be_visible()
    # And the details the customer gave are shown back
    details = page.locator("#ticket-details")
    expect(details).to_contain_text("Web app")
    expect(details).to_contain_text("A-7731")
    # When it is solved, the rating is five stars a keyboard can choose
    page.get_by_role("button", name="Mark as solved").click()
    page.get_by_role("button", name="Yes, it is solved").click()
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    page.get_by_role("radio", name="1 star").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="3 stars")).to_be_checked()
    page.screenshot(path=str(ARTIFACTS / "portal-ticket-en-stars.png"), full_page=True)


def test_what_is_typed_in_a_field_survives_the_fields_arriving(
    page: Page, stack: RunningStack
) -> None:
    # Given the form drawn from portal.json, its fields document (GET /api/ticket-form) held back
    held: list[Route] = []
    page.route("**/api/ticket-form", lambda route: held.append(route))
    email = f"ines.{uuid.uuid4().hex[:6]}@customer.test"
    in_language(page, stack, "en")
    sign_in_by_mail(page, stack, email)
    page.goto(f"{stack.url}/new.html")
    # And a customer half-way through typing the order number
    order = page.get_by_label("Order number")
    order.click()
    page.keyboard.type("A-77")
    # When the fields document arrives, with a field portal.json does not show
    for _ in range(200):  # the route handler runs while Playwright is waited on
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the form never asked for its fields"
    held[0].fulfill(
        json={
            "custom_fields": [{"key": "serial", "labels": {"en": "Serial number"}, "type": "text"}]
        }
    )
    expect(page.get_by_label("Serial number")).to_be_visible()
    # Then the customer types on in the same box, and nothing typed is lost
    page.keyboard.type("31")
    expect(order).to_have_value("A-7731")
    expect(order).to_be_focused()
    page.screenshot(path=str(ARTIFACTS / "portal-new-fields-arrived.png"), full_page=True)


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        ("en", "1 article found", "2 articles found"),
        ("el", "Βρέθηκε 1 άρθρο", "Βρέθηκαν 2 άρθρα"),
        ("fa", "۱ مقاله پیدا شد", "۲ مقاله پیدا شد"),
    ],
)
def test_counts_use_the_languages_plural_forms_and_digits(
    page: Page, stack: RunningStack, language: str, one: str, two: str
) -> None:
    # Given the portal in a language, the words it shows for one and for two articles
    in_language(page, stack, language)
    said = page.evaluate("() => [1, 2].map((n) => window.tessera.t('search.count', { n }))")
    # Then they take the language's plural forms and digits
    assert said == [one, two]


def test_a_persian_page_writes_every_number_in_persian_digits(
    page: Page, stack: RunningStack
) -> None:
    in_language(page, stack, "fa", "/kb/fa/index.html")
    text = page.locator("main").inner_text()
    assert not re.search(r"[0-9]", text), re.findall(r".{0,10}[0-9].{0,10}", text)
    in_language(page, stack, "fa")
    page.locator("#kb-q").fill("رمز")
    expect(page.locator("#kb-status")).to_contain_text("مقاله")
    assert not re.search(r"[0-9]", page.locator("#kb-status").inner_text())


# ------------------------------------------------------------------------------ 6, 7, 8: layout
@pytest.mark.parametrize("language", ["en", "fa", "el"])
def test_on_a_phone_the_header_is_compact_and_nothing_scrolls_sideways(
    phone: Page, stack: RunningStack, language: str
) -> None:
    token = customer_session(stack, f"phone.{uuid.uuid4().hex[:6]}@customer.test")
    for path in ("/", "/tickets.html", "/kb/en/index.html", "/kb/fa/reset-password.html"):
        in_language(phone, stack, language, path)
        if path == "/":
            phone.evaluate("(t) => localStorage.setItem('tessera.session', t)", token)
        header = phone.locator("header.top").bounding_box()
        assert header
        assert header["height"] <= 110, (path, header)
        no_horizontal_scroll(phone)
    in_language(phone, stack, language, "/tickets.html")
    tabs = phone.get_by_role("tablist").bounding_box()
    assert tabs
    assert tabs["height"] <= 60, tabs  # one line
    phone.screenshot(path=str(ARTIFACTS / f"portal-phone-{language}-tickets.png"), full_page=True)


def test_the_kb_pages_and_the_portals_pages_have_the_same_header(
    page: Page, stack: RunningStack
) -> None:
    heights = {}
    token = customer_session(stack, f"header.{uuid.uuid4().hex[:6]}@customer.test")
    in_language(page, stack, "en")
    page.evaluate("(t) => localStorage.setItem('tessera.session', t)", token)
    for path in ("/", "/tickets.html", "/kb/en/index.html", "/kb/en/reset-password.html"):
        in_language(page, stack, "en", path)
        box = page.locator("header.top").bounding_box()
        assert box
        heights[path] = round(box["height"])
        expect(
            page.locator("header.top .nav-signin, header.top .nav-signout").first
        ).to_be_attached()
    assert len(set(heights.values())) == 1, heights


# ------------------------------------------------------------------------------ accessibility
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/kb/en/reset-password.html",
        "/kb/fa/reset-password.html",
        "/new.html",
        "/tickets.html",
        "/ticket.html",
    ],
)
def test_the_pages_customers_use_have_no_serious_accessibility_violation(
    page: Page, stack: RunningStack, path: str
) -> None:
    token = customer_session(stack, f"axe.{uuid.uuid4().hex[:6]}@customer.test")
    in_language(page, stack, "en")
    page.evaluate("(t) => localStorage.setItem('tessera.session', t)", token)
    target = path
    if path == "/ticket.html":
        status, ticket = stack.request(
            "POST", "/api/tickets", {"subject": "Axe", "body": "x"}, token=token
        )
        assert status == 201
        target = f"/ticket.html?id={ticket['id']}"
    page.goto(f"{stack.url}{target}")
    page.wait_for_function("() => document.body.dataset.ready")
    results = Axe().run(page)
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert serious == [], serious

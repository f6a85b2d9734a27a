"""The customer portal and the knowledge base in a real Chromium against the local stack:
KB search in Persian and Greek, sign-in by magic link, a ticket with an attachment, the
acknowledgement's signed link, replies both ways, solving and rating, right-to-left layout on a
phone, and a hostile mail that shows inert."""

from __future__ import annotations

import re
import smtplib
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from urllib.parse import unquote

import pytest
from playwright.sync_api import Browser, Page, expect

from tessera.text.normalise import normalise
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.steps import PNG, link_in, mail_to, sign_in_by_mail
from tests.localstack import RunningStack, wait_for


@pytest.fixture
def fresh_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A second browser (no session, no storage): someone who only has the mail."""
    context = browser.new_context()
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    ARTIFACTS.mkdir(exist_ok=True)
    opened.screenshot(path=str(ARTIFACTS / f"{request.node.name}-link.png"), full_page=True)
    context.close()
    assert errors == []


# ------------------------------------------------------------------------------ knowledge base
def test_kb_search_in_persian_and_greek_on_the_home_page(page: Page, stack: RunningStack) -> None:
    # Given the home page, switched to Persian
    page.goto(f"{stack.url}/")
    page.get_by_role("button", name="فارسی").click()
    # Then the whole page is Persian and right-to-left
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text("چطور می‌توانیم کمک کنیم؟")
    # When the customer types with an Arabic keyboard (Arabic yeh and kaf) and a typo
    search = page.get_by_label("جست‌وجو در پایگاه دانش")
    search.fill("بازنشاني رمز عبوور")
    # Then the Persian article comes first
    first = page.locator("#kb-results li a").first
    expect(first).to_have_text("بازنشانی رمز عبور")
    expect(page.locator("#kb-status")).to_contain_text("مقاله پیدا شد")
    # And the RTL layout mirrors: the brand sits at the right, the languages at the left
    brand = page.locator(".brand").bounding_box()
    languages = page.locator(".languages").bounding_box()
    assert brand
    assert languages
    assert brand["x"] > languages["x"]
    page.screenshot(path=str(ARTIFACTS / "portal-home-fa-rtl.png"), full_page=True)

    # When the customer switches to Greek and types without accents, capitals and a typo
    page.get_by_role("button", name="Ελληνικά").click()
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.get_by_label("Αναζήτηση στη βάση γνώσεων").fill("ΚΩΔΙΚΟΥ επαναφορα")
    # Then the Greek article comes first
    expect(page.locator("#kb-results li a").first).to_have_text("Επαναφορά κωδικού πρόσβασης")
    # And the choice is kept for the next visit
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "el")


def test_the_browser_folds_text_exactly_as_the_publisher_does(
    page: Page, stack: RunningStack
) -> None:
    samples = [
        "كيف حالك ي",
        "رمزِ عبورٌ",
        "می\u200cخواهم",
        "مدرسة أحمد إسلام آب ؤ",
        "۱۲۳ ٤٥٦",
        "ΔΙΕΎΘΥΝΣΗ Ξέχασα",
        "ΟΔΟΣ",
        "Café Naïve Straße",
    ]
    page.goto(f"{stack.url}/")
    page.wait_for_function("() => window.tessera && document.body.dataset.ready")
    folded = page.evaluate("(xs) => xs.map((x) => window.tessera.normalise(x))", samples)
    assert folded == [normalise(s) for s in samples]


def test_a_kb_article_is_a_real_page_and_votes_and_misses_are_recorded(
    page: Page, stack: RunningStack
) -> None:
    admin = stack.login()

    def counts() -> tuple[int, int]:
        """The Persian article's helpful votes and the Greek missed search's count, as reported."""
        _s, body = stack.request("GET", "/api/admin/kb/report", token=admin)
        helpful = sum(
            a["helpful"]
            for a in body["articles"]
            if (a["language"], a["article"]) == ("fa", "reset-password")
        )
        missed = sum(
            m["count"]
            for m in body["missed_searches"]
            if (m["language"], m["query"]) == ("el", "δωροκαρτα")
        )
        return helpful, missed

    helpful_before, missed_before = counts()
    # Given the published Persian article, as S3 serves it
    status, raw = stack.request("GET", "/kb/fa/reset-password.html")
    assert status == 200
    assert "<title>بازنشانی رمز عبور · Example Support</title>" in raw
    assert '<html lang="fa" dir="rtl">' in raw
    # When a reader finds it helpful
    page.goto(f"{stack.url}/kb/fa/reset-password.html")
    page.get_by_role("button", name="بله").click()
    expect(page.get_by_role("status")).to_have_text("از بازخورد شما سپاسگزاریم.")
    page.screenshot(path=str(ARTIFACTS / "portal-article-fa-rtl.png"), full_page=True)
    # And a Greek reader searches for something no article covers
    page.goto(f"{stack.url}/kb/el/index.html")
    page.get_by_label("Αναζήτηση στη βάση γνώσεων").fill("δωροκάρτα")
    expect(page.locator("#kb-status")).to_contain_text("Κανένα άρθρο")

    # Then both are in the report (other tests vote and search too: the counts grow by one)
    def recorded() -> bool:
        helpful, missed = counts()
        return helpful == helpful_before + 1 and missed == missed_before + 1

    assert wait_for(recorded, timeout=10), f"vote or missed search not recorded: {counts()}"


# ------------------------------------------------------------------------------ the journey
def test_a_customer_opens_a_ticket_in_the_portal_replies_solves_and_rates(
    page: Page, stack: RunningStack
) -> None:
    email = f"dana.{uuid.uuid4().hex[:6]}@customer.test"
    # Given a customer signed in by magic link
    sign_in_by_mail(page, stack, email)

    # When she starts a ticket, the form suggests the matching article
    page.get_by_role("link", name="Open a ticket").first.click()
    page.get_by_label("Subject").fill("I forgot my password")
    suggestion = page.locator("#suggestions a").first
    expect(suggestion).to_have_text("Reset your password")
    expect(suggestion).to_have_attribute("href", re.compile(r"\?from=ticket-form$"))
    # And the limits of attachments show before any upload
    expect(page.locator("#new-limits")).to_contain_text("Up to 5 files")
    # And she opens it anyway, with a screenshot attached
    page.get_by_label("Describe your problem").fill("The reset mail never arrives.")
    page.get_by_label("Product").select_option("Web app")
    page.get_by_label("Order number").fill("A-1001")
    page.locator("#new-files").set_input_files(
        {"name": "screen.png", "mimeType": "image/png", "buffer": PNG}
    )
    page.get_by_role("button", name="Open ticket").click()

    # Then the ticket page shows it, with the attachment in the thread
    title = page.get_by_role("heading", level=1)
    expect(title).to_contain_text("I forgot my password")
    expect(page.get_by_role("status").filter(has_text="opened")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"screen\.png"))).to_be_visible()
    number = re.search(r"#(\d+)", title.inner_text())
    assert number

    ticket_id = unquote(page.url.split("id=")[1])

    # When an agent answers
    alice = stack.login("alice@example.com")
    status, body = stack.request(
        "POST",
        f"/api/tickets/{ticket_id}/replies",
        {"text": "Which address do you sign in with?"},
        token=alice,
    )
    assert status == 201, body
    # Then the answer is mailed to her, and shows in the portal from Support
    mailed = wait_for(lambda: mail_to(stack, email, "Which address do you sign in"), timeout=20)
    assert mailed
    assert f"[#{number.group(1)}]" in mailed["subject"]
    page.reload()
    answer = page.locator(".message").filter(has_text="Which address do you sign in")
    expect(answer.locator(".author")).to_have_text("Support · Alice")  # the agent, by name

    # When she replies in the portal
    page.get_by_label("Your reply").fill("This one, dana@.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#thread")).to_contain_text("This one, dana@.")
    mine = page.locator(".message.mine").filter(has_text="This one, dana@.")
    expect(mine.locator(".author")).to_have_text("You")

    # And marks it solved (asked once: "not yet" changes nothing) and rates it five stars
    page.get_by_role("button", name="Mark as solved").click()
    page.get_by_role("button", name="Not yet").click()
    expect(page.locator("#ticket-status")).to_have_text("Open")
    page.get_by_role("button", name="Mark as solved").click()
    page.get_by_role("button", name="Yes, it is solved").click()
    expect(page.locator("#ticket-status")).to_have_text("Solved")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    page.get_by_label("5 stars").check()
    page.get_by_label("Comment (optional)").fill("Quick and kind.")
    page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_role("status").filter(has_text="Thank you for your rating")).to_be_visible()

    # Then the rating is on the ticket's audit trail
    _s, thread = stack.request("GET", f"/api/tickets/{ticket_id}", token=alice)
    rated = [e for e in thread["events"] if e["action"] == "ticket.rated"]
    assert rated
    assert rated[0]["changes"]["rating"] == [None, 5]

    # And her tickets list it under Closed
    page.goto(f"{stack.url}/tickets.html")
    # (the Open tab has loaded, and is empty now, before the tabs are clicked)
    expect(page.get_by_text("No tickets here.")).to_be_visible()
    page.get_by_role("tab", name="Closed").click()
    expect(page.get_by_role("link", name="I forgot my password")).to_be_visible()


def test_a_mailed_ticket_is_acknowledged_and_its_signed_link_opens_it(
    page: Page, fresh_page: Page, stack: RunningStack
) -> None:
    # Given a customer who writes in by mail with an attachment
    sender = f"nika.{uuid.uuid4().hex[:6]}@customer.test"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@example.com"
    message["Subject"] = "Invoice for March is missing"
    message.set_content("I cannot find the March invoice.")
    message.add_attachment(PNG, maintype="image", subtype="png", filename="billing.png")
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
    # When the acknowledgement arrives
    ack = wait_for(lambda: mail_to(stack, sender, "#ticket="), timeout=20)
    assert ack, "no acknowledgement in the outbox"
    # And its signed link is followed, in a browser that never signed in
    fresh_page.goto(link_in(ack, "ticket"))
    # Then the ticket opens, with the mail and its attachment
    expect(fresh_page.get_by_role("heading", level=1)).to_contain_text("Invoice for March")
    expect(fresh_page.get_by_role("button", name=re.compile(r"billing\.png"))).to_be_visible()
    ticket_id = unquote(fresh_page.url.split("id=")[1])
    # When she replies and an agent answers
    fresh_page.get_by_label("Your reply").fill("It is for order A-1001.")
    fresh_page.get_by_role("button", name="Send reply").click()
    expect(fresh_page.locator("#thread")).to_contain_text("It is for order A-1001.")
    alice = stack.login("alice@example.com")
    status, _ = stack.request(
        "POST", f"/api/tickets/{ticket_id}/replies", {"text": "Attached again."}, token=alice
    )
    assert status == 201
    fresh_page.reload()
    # Then she sees the answer from Support, and the link session sees only this ticket,
    # awaiting her reply
    answer = fresh_page.locator(".message").filter(has_text="Attached again.")
    expect(answer.locator(".author")).to_have_text("Support · Alice")  # the agent, by name
    fresh_page.goto(f"{stack.url}/tickets.html?tab=awaiting")
    expect(fresh_page.get_by_role("tab", name="Awaiting your reply")).to_have_attribute(
        "aria-selected", "true"
    )
    expect(fresh_page.locator("#scoped-note")).to_be_visible()
    expect(fresh_page.locator("#ticket-rows tr")).to_have_count(1)


def test_persian_on_a_phone_is_right_to_left_with_persian_numbers(
    browser: Browser, stack: RunningStack
) -> None:
    # Given a phone whose browser prefers Persian
    context = browser.new_context(
        locale="fa-IR", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        # When the customer opens the portal and the Persian knowledge base
        page.goto(f"{stack.url}/")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        page.get_by_label("جست‌وجو در پایگاه دانش").fill("صورتحساب")
        expect(page.locator("#kb-status")).to_contain_text("مقاله پیدا شد")
        # Then counts are in Persian digits, and nothing overflows the screen sideways
        assert re.search(r"[۰-۹]", page.locator("#kb-status").inner_text())
        width = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert width <= 0
        page.screenshot(path=str(ARTIFACTS / "portal-phone-fa-rtl.png"), full_page=True)
        page.goto(f"{stack.url}/kb/fa/refund.html")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        page.screenshot(path=str(ARTIFACTS / "portal-phone-fa-article.png"), full_page=True)
    finally:
        context.close()
    assert errors == []


# ------------------------------------------------------------------------------ hostile mail
HOSTILE = """<p>Hello from <b>Mallory</b></p>
<script>top.pwned = 'script'; alert('script')</script>
<img src="x" onerror="top.pwned = 'onerror'; alert('onerror')">
<a href="javascript:top.pwned='href';alert('href')">click me</a>
<svg onload="top.pwned = 'svg'"><script>top.pwned = 'svg-script'</script></svg>
<iframe src="javascript:top.pwned='iframe'"></iframe>
<form action="javascript:top.pwned='form'"><button>go</button></form>
<div style="background:url(javascript:top.pwned='css')" onclick="top.pwned='click'">Details</div>
<math><mtext><table><mglyph><style><img src=x onerror="top.pwned='mxss'">
</style></mglyph></table></mtext></math>
"""


def test_a_hostile_mail_shows_inert_in_the_portal(page: Page, stack: RunningStack) -> None:
    # Given a mail whose HTML carries script, handlers, javascript: links and SVG payloads
    sender = f"mallory.{uuid.uuid4().hex[:6]}@customer.test"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@example.com"
    message["Subject"] = "Hostile HTML for the portal"
    message.set_content("plain version")
    message.add_alternative(HOSTILE, subtype="html")
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
    ack = wait_for(lambda: mail_to(stack, sender, "#ticket="), timeout=20)
    assert ack, "no acknowledgement"
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # When the sender opens the ticket from the mail's link
    page.goto(link_in(ack, "ticket"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hostile HTML for the portal")
    frame = page.frame_locator(".message iframe").first
    expect(frame.locator("body")).to_contain_text("Hello from Mallory")
    # And clicks what the mail offers
    frame.get_by_text("click me").click()
    frame.get_by_text("Details").click()
    page.wait_for_timeout(500)

    # Then nothing ran: no dialog, no global set, the frame cannot run script at all
    assert dialogs == []
    assert page.evaluate("window.pwned") is None
    sandbox = page.locator(".message iframe").first.get_attribute("sandbox") or ""
    assert "allow-scripts" not in sandbox
    # And the payloads are gone from the markup the portal shows
    inner = frame.locator("body").inner_html()
    for payload in ("<script", "onerror", "onload", "onclick", "javascript:", "<svg", "<iframe"):
        assert payload not in inner.lower(), payload

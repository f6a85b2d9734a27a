"""The admin center's knowledge base in a real Chromium against the local stack: an article is
drafted, previewed (sanitized, in a frame that runs nothing), published, shows on the portal, is
unpublished and disappears, then deleted; its other language is shown side by side; the
feedback report links to the articles."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_admin_config import serious_violations
from tests.e2e.test_console import agent_page, sign_in  # noqa: F401  (the console's fixture)
from tests.localstack import RunningStack, customer_session

expect.set_options(timeout=15_000)


def test_an_article_is_drafted_previewed_published_unpublished_and_deleted(
    agent_page: Callable[..., Page],  # noqa: F811
    stack: RunningStack,
) -> None:
    slug = f"print-invoice-{uuid.uuid4().hex[:6]}"
    admin = stack.login()
    # Given the article's Greek version exists (for the side-by-side view)
    greek = {
        "title": "Εκτύπωση τιμολογίου",
        "description": "Πώς τυπώνετε ένα τιμολόγιο.",
        "category": "billing",
        "body": "Πατήστε **Εκτύπωση**.",
    }
    assert stack.request("PUT", f"/api/admin/kb/articles/el/{slug}", greek, token=admin)[0] == 200
    page = agent_page(allowed=(404,))  # the English article does not exist until saved
    sign_in(page, stack)
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("navigation", name="Admin center").get_by_role(
        "link", name="Knowledge base"
    ).click()
    # When the admin writes a new English article
    form = page.get_by_role("form", name="Write an article")
    form.get_by_label("Language").select_option("en")
    form.get_by_label("Address (slug)").fill(slug)
    form.get_by_role("button", name="Write an article").click()
    page.get_by_label("Title").fill("Print an invoice")
    page.get_by_label("Summary").fill("How to print an invoice from your account.")
    page.get_by_label("Category").fill("billing")
    page.get_by_label("Text (markdown)").fill(
        "Open **Invoices** and press *Print*.\n\n<script>window.top.pwned=1</script>"
    )
    # Then the preview shows it rendered and sanitized, in a frame that runs nothing
    preview = page.frame_locator("iframe.kb-preview")
    expect(preview.locator("strong")).to_have_text("Invoices")
    expect(preview.locator("body")).to_contain_text("<script>")  # shown as text, never run
    expect(page.locator("iframe.kb-preview")).to_have_attribute(
        "sandbox", "allow-same-origin allow-popups allow-popups-to-escape-sandbox"
    )
    # And the Greek version is side by side
    page.get_by_label("Side by side:").select_option("el")
    expect(page.locator(".kb-translation")).to_contain_text("Εκτύπωση τιμολογίου")
    # When the admin saves and publishes
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").last).to_contain_text("Draft saved as version 1")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status").last).to_contain_text("Published to the portal")
    # Then the portal has the page and its search index the article
    status, body = stack.request("GET", f"/kb/en/{slug}.html")
    assert status == 200
    assert "<strong>Invoices</strong>" in body
    assert "<script>window" not in body
    _s, index = stack.request("GET", "/kb/en/search.json")
    assert f"kb/en/{slug}.html" in [doc[0] for doc in index["docs"]]
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "admin-kb-editor.png"), full_page=True)
    # When the admin unpublishes, confirming
    page.get_by_role("button", name="Unpublish").click()
    page.get_by_role("dialog").get_by_role("button", name="Unpublish").click()
    expect(page.get_by_role("status").last).to_contain_text("Taken off the portal")
    # Then the page and the search entry are gone, and the list says draft
    assert stack.request("GET", f"/kb/en/{slug}.html")[0] in (403, 404)
    _s, index = stack.request("GET", "/kb/en/search.json")
    assert f"kb/en/{slug}.html" not in [doc[0] for doc in index["docs"]]
    page.get_by_role("link", name="All articles").click()
    row = page.locator(f'tr[data-article="en/{slug}"]')
    expect(row).to_contain_text("Draft")
    expect(page.locator(f'tr[data-article="el/{slug}"]')).to_be_visible()
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "admin-kb-list.png"), full_page=True)
    # When the admin deletes it, confirming
    row.get_by_role("link").click()
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    # Then it is gone from the list and the API
    expect(page.get_by_role("status").last).to_contain_text(f"Article {slug} deleted")
    expect(page.locator(f'tr[data-article="en/{slug}"]')).to_have_count(0)
    assert stack.request("GET", f"/api/admin/kb/articles/en/{slug}", token=admin)[0] == 404
    assert page.evaluate("window.pwned") is None


def test_the_feedback_report_links_to_the_article(
    agent_page: Callable[..., Page],  # noqa: F811
    stack: RunningStack,
) -> None:
    # Given readers found a kb/ article unhelpful, searched for something missing, and a
    # customer opened a ticket after viewing the article
    vote = {"article": "reset-password", "language": "en", "helpful": False}
    assert stack.request("POST", "/api/kb/votes", vote)[0] == 202
    missed = {"language": "en", "query": f"gift card {uuid.uuid4().hex[:4]}", "results": 0}
    assert stack.request("POST", "/api/kb/searches", missed)[0] == 202
    customer = customer_session(stack, f"kb.{uuid.uuid4().hex[:6]}@customer.test")
    viewed = [{"language": "en", "article": "reset-password"}]
    ticket = {"subject": "After the article", "body": "x", "viewed_articles": viewed}
    assert stack.request("POST", "/api/tickets", ticket, token=customer)[0] == 201
    _, report = stack.request("GET", "/api/admin/kb/report", token=stack.login())
    row = next(
        a for a in report["articles"] if (a["language"], a["article"]) == ("en", "reset-password")
    )
    page = agent_page()
    sign_in(page, stack)
    page.goto(f"{stack.url}/console/#/admin/kb")
    # Then the report lists them, the article linking to its page
    expect(page.locator(".kb-report")).to_contain_text("en/reset-password")
    link = page.locator(".kb-report").get_by_role("link", name="en/reset-password")
    expect(link).to_have_attribute("href", "/kb/en/reset-password.html")
    expect(page.locator(".missed")).to_contain_text(missed["query"])
    # And the article's tickets opened after viewing it, as the API counts them
    expect(page.locator(".kb-report thead th").nth(4)).to_have_text("Tickets after viewing")
    article = page.locator('.kb-report tr[data-article="en/reset-password"]')
    expect(article.locator("td").nth(4)).to_have_text(str(row["opened_after"]))
    assert row["opened_after"] >= 1
    # And the searches per language, English among them
    expect(page.locator(".kb-searches")).to_contain_text("English")

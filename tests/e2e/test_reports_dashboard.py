"""The reports dashboard in a real Chromium against the local stack: a lead's numbers with data
the change feed counted, filters that change them, a CSV download, the chart also as a table,
the knowledge base's figures after a customer searched, read an article and opened a ticket in
the portal, an agent's "My numbers", Persian and a phone, and no serious accessibility
violation."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from tests.e2e import test_console
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.steps import link_in, mail_to
from tests.e2e.test_console import sign_in
from tests.localstack import RunningStack, customer_session, wait_for

agent_page = test_console.agent_page  # the console's fixture: fails on any console error

DOCS_IMAGES = ARTIFACTS.parent / "docs" / "images"


def solved_phone_ticket(stack: RunningStack) -> tuple[str, dict[str, Any]]:
    """A phone ticket Alice answers and solves, rated 2 with a comment by its requester;
    returns the requester and the ticket once both are counted."""
    admin = stack.login()
    alice = stack.login("alice@example.com")
    requester = f"dash.{uuid.uuid4().hex[:8]}@customer.test"
    status, ticket = stack.request(
        "POST",
        "/api/tickets",
        {"subject": "Dashboard", "body": "A caller.", "requester": requester, "channel": "phone"},
        token=admin,
    )
    assert status == 201, ticket
    status, _ = stack.request(
        "PATCH", f"/api/tickets/{ticket['id']}", {"assignee": "alice@example.com"}, token=admin
    )
    assert status == 200
    status, _ = stack.request(
        "POST", f"/api/tickets/{ticket['id']}/replies", {"text": "Done."}, token=alice
    )
    assert status == 201
    status, _ = stack.request(
        "PATCH", f"/api/tickets/{ticket['id']}", {"status": "solved"}, token=alice
    )
    assert status == 200
    status, _ = stack.request(
        "POST",
        f"/api/tickets/{ticket['id']}/rating",
        {"score": 2, "comment": "Solved, but slowly."},
        token=customer_session(stack, requester),
    )
    assert status == 201
    day = datetime.now(UTC).date().isoformat()

    def counted() -> bool:
        _, body = stack.request(
            "GET", f"/api/reports/summary?from={day}&to={day}&group_by=customer", token=admin
        )
        _, rated = stack.request("GET", f"/api/reports/comments?from={day}&to={day}", token=admin)
        return any(r["key"] == requester and r["solved"] == 1 for r in body["rows"]) and any(
            c["ticket_id"] == ticket["id"] for c in rated["items"]
        )

    assert wait_for(counted, timeout=60, interval=1), "the ticket was not counted within 60 s"
    return requester, ticket


def tag_added_and_taken_away(stack: RunningStack) -> str:
    """A tag put on a ticket and taken off again, each counted: its aggregate items are left at
    zero (what a group every ticket has moved out of looks like). Returns the tag."""
    admin = stack.login()
    tag = f"gone-{uuid.uuid4().hex[:6]}"
    status, ticket = stack.request(
        "POST",
        "/api/tickets",
        {
            "subject": "Tagged",
            "body": "A caller.",
            "requester": "tagged@customer.test",
            "channel": "phone",
        },
        token=admin,
    )
    assert status == 201, ticket
    day = datetime.now(UTC).date().isoformat()

    def tag_rows() -> list[dict[str, Any]]:
        _, body = stack.request(
            "GET", f"/api/reports/summary?from={day}&to={day}&group_by=tag", token=admin
        )
        return [r for r in body["rows"] if r["key"] == tag]

    status, _ = stack.request("PATCH", f"/api/tickets/{ticket['id']}", {"tags": [tag]}, token=admin)
    assert status == 200
    assert wait_for(tag_rows, timeout=60, interval=1), "the tag was not counted within 60 s"
    status, _ = stack.request("PATCH", f"/api/tickets/{ticket['id']}", {"tags": []}, token=admin)
    assert status == 200
    # (a row of zeros would stay here for ever)
    assert wait_for(lambda: not tag_rows(), timeout=60, interval=1), "the tag's row stayed"
    return tag


def kb_figures(stack: RunningStack) -> dict[str, Any]:
    """GET /api/reports/kb, and the tickets opened after viewing en/reset-password."""
    admin = stack.login()
    _, figures = stack.request("GET", "/api/reports/kb", token=admin)
    _, report = stack.request("GET", "/api/admin/kb/report", token=admin)
    figures["reset_password_opened_after"] = sum(
        a["opened_after"]
        for a in report["articles"]
        if (a["language"], a["article"]) == ("en", "reset-password")
    )
    return dict(figures)


def customer_searches_reads_and_opens_a_ticket(page: Page, stack: RunningStack) -> None:
    """In the portal, signed out: a search that finds nothing, then one whose first result
    (the English password article) she follows; then she signs in by the mailed link, opened in
    a new tab as a mail client does, and opens a ticket there."""
    before = kb_figures(stack)
    missed = f"warranty {uuid.uuid4().hex[:6]}"
    page.goto(f"{stack.url}/kb/en/index.html")
    search = page.get_by_label("Search the knowledge base")
    search.fill(missed)
    expect(page.locator("#kb-status")).to_contain_text("No article matches")

    # (reported once she stops typing: one search, one miss)
    def settled() -> bool:
        now = kb_figures(stack)
        return (now["searches"], now["missed_searches"]) == (
            before["searches"] + 1,
            before["missed_searches"] + 1,
        )

    assert wait_for(settled, timeout=10), "the search with no result was not counted once"
    search.fill("reset password")
    page.locator("#kb-results a", has_text="Reset your password").click()
    expect(page.get_by_role("heading", name="Reset your password", level=1)).to_be_visible()
    # (the page is ready: its vote buttons come alive)
    expect(page.get_by_role("button", name="Yes")).to_be_enabled()

    page.goto(f"{stack.url}/signin.html")
    email = f"reader.{uuid.uuid4().hex[:6]}@customer.test"
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    mail = wait_for(lambda: mail_to(stack, email, "#token="), timeout=10)
    assert mail, f"no sign-in mail for {email}"
    tab = page.context.new_page()  # a new tab: its sessionStorage starts empty
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(link_in(mail, "token"))
    expect(tab.get_by_role("heading", name="My tickets")).to_be_visible()
    tab.get_by_role("link", name="Open a ticket").first.click()
    tab.get_by_label("Subject").fill("The reset link does not come")
    tab.get_by_label("Describe your problem").fill("I read the article; no mail arrives.")
    tab.get_by_label("Product").select_option("Web app")
    tab.get_by_role("button", name="Open ticket").click()
    expect(tab.get_by_role("heading", level=1)).to_contain_text("The reset link does not come")
    assert errors == []
    tab.close()


def serious_violations(page: Page) -> list[object]:
    results = Axe().run(page)
    return [
        (v["id"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def test_a_lead_reads_filters_and_downloads_the_numbers(
    agent_page: Callable[..., Page], page: Page, stack: RunningStack, tmp_path
) -> None:
    # Given a ticket Alice solved today, counted through the change feed, and a customer who
    # searched the knowledge base (once in vain), read an article and opened a ticket anyway
    requester, rated = solved_phone_ticket(stack)
    # and a tag that a ticket had and lost (its items left at zero)
    gone = tag_added_and_taken_away(stack)
    before = kb_figures(stack)
    customer_searches_reads_and_opens_a_ticket(page, stack)
    kb_now = kb_figures(stack)
    # Then her two searches count (one a miss), and her ticket once after viewing the article
    assert kb_now["searches"] == before["searches"] + 2
    assert kb_now["missed_searches"] == before["missed_searches"] + 1
    assert kb_now["tickets_after_view"] == before["tickets_after_view"] + 1
    assert kb_now["reset_password_opened_after"] == before["reset_password_opened_after"] + 1
    lead = agent_page(viewport={"width": 1366, "height": 900})  # a common office laptop
    sign_in(lead, stack)
    # When the admin opens Reports from the header
    lead.get_by_role("link", name="Reports").click()
    # Then the day's backlog, the 30-day chart (and its table) and Alice's row are there
    expect(lead.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    expect(lead.get_by_role("heading", name="Today")).to_be_visible()
    expect(lead.locator(".chart-box canvas")).to_be_visible()
    lead.get_by_text("The chart as a table").click()
    expect(lead.locator(".chart details table tbody tr")).to_have_count(30)
    alice = lead.locator("table.figures tbody tr", has_text="alice@example.com")
    expect(alice).to_be_visible()
    expect(lead.locator("table.figures thead")).to_contain_text("Next reply (median)")
    # and the days as dates in words ("Nov 7, 2026"), not ISO dates
    today = datetime.now(UTC).date()
    expect(lead.locator(".chart details table tbody tr").last.locator("th")).to_have_text(
        f"{today:%b} {today.day}, {today.year}"
    )
    # and the per-agent table fits its card at 1366 px: no sideways scrolling
    scroller = lead.locator(".table-scroll", has=lead.locator("table.figures"))
    assert scroller.evaluate("box => box.scrollWidth <= box.clientWidth"), "the table overflows"
    # and the tiles say what they count, and in which time zone the days run
    tiles = lead.locator("section.tiles", has=lead.get_by_role("heading", name="Today"))
    open_now = tiles.locator("dl > div").filter(has=lead.get_by_text("Open now", exact=True))
    expect(open_now).to_contain_text("pending and on hold are not counted")
    _, views = stack.request("GET", "/api/views", token=stack.login())
    waiting = next(v["count"] for v in views["items"] if v["id"] == "pending")
    pending = tiles.locator("dl > div").filter(has=lead.get_by_text("Pending or on hold"))
    expect(pending.locator("dd").first).to_have_text(f"{waiting:,}")
    expect(lead.locator("p.zone")).to_have_text(
        "Days run from midnight to midnight in UTC: your time zone (Settings)."
    )
    # and the requester's comment with the ticket's number as the console writes it (#1023)
    comment = lead.locator("ul.comments li", has_text="Solved, but slowly.")
    expect(comment).to_contain_text(f"Score 2 · #{rated['number']} · alice@example.com")
    # and the chart's legend names the day, not "Time", and shows a hovered day as a date
    legend = lead.locator(".chart-box .u-legend")
    expect(legend).to_contain_text("Day")
    expect(legend).not_to_contain_text("Time")
    box = lead.locator(".chart-box .u-over").bounding_box()
    assert box is not None
    lead.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    expect(legend.locator(".u-series").first.locator(".u-value")).to_have_text(
        f"{today:%b} {today.day}, {today.year}"
    )
    lead.mouse.move(0, 0)
    # and the workload now: every configured agent with routing's capacity
    workload = lead.locator("table.workload tbody tr", has_text="alice@example.com")
    expect(workload).to_be_visible()
    _, loads = stack.request("GET", "/api/reports/workload", token=stack.login())
    mine = next(w for w in loads["items"] if w["agent"] == "alice@example.com")
    expect(workload.locator("td").nth(2)).to_have_text(str(mine["capacity"]))
    # and the knowledge base's figures with the customer's searches and ticket in them
    kb = lead.locator("section", has=lead.get_by_role("heading", name="Knowledge base"))

    def tile(label: str) -> Locator:
        return kb.locator("dl > div").filter(has=lead.get_by_text(label, exact=True)).locator("dd")

    expect(tile("Searches")).to_have_text(f"{kb_now['searches']:,}")
    expect(tile("Searches with no result")).to_have_text(f"{kb_now['missed_searches']:,}")
    expect(tile("Tickets opened after viewing an article")).to_have_text(
        f"{kb_now['tickets_after_view']:,}"
    )
    assert serious_violations(lead) == []
    DOCS_IMAGES.mkdir(exist_ok=True)
    lead.screenshot(path=str(DOCS_IMAGES / "reports-desktop.png"), full_page=True)

    # When the lead groups by customer
    lead.get_by_label("Group by").select_option("customer")
    lead.get_by_role("button", name="Show").click()
    # Then the rows are customers, the new one among them, and the address is in the URL
    expect(lead).to_have_url(re.compile(r"group_by=customer"))
    expect(lead.locator("table.figures tbody tr", has_text=requester)).to_be_visible()
    expect(lead.get_by_role("heading", name="By Customer")).to_be_visible()

    # And the CSV downloads with a header row and the customer's line
    with lead.expect_download() as downloading:
        lead.get_by_role("button", name="Download CSV").click()
    saved = tmp_path / "summary.csv"
    downloading.value.save_as(saved)
    text = saved.read_bytes().decode("utf-8")  # as sent: read_text would turn CRLF into LF
    assert text.endswith("\r\n"), "the CSV's last line has no line break"
    lines = text.splitlines()
    assert lines[0].startswith("key,created,solved,reopened,first_response_median_s")
    assert any(line.startswith(f"{requester},1,1,0,") for line in lines)
    assert lines[-1].startswith("total,")
    assert "next_reply_median_s" in lines[0].split(",")

    # And the tickets created download with "-" for what a ticket has none of, and a final line
    # break
    with lead.expect_download() as downloading:
        lead.get_by_role("button", name="Tickets created (CSV)").click()
    listed = tmp_path / "created.csv"
    downloading.value.save_as(listed)
    text = listed.read_bytes().decode("utf-8")
    assert text.endswith("\r\n"), "the tickets CSV's last line has no line break"
    header, *rows = text.splitlines()
    line = dict(
        zip(header.split(","), next(r for r in rows if rated["id"] in r).split(","), strict=True)
    )
    assert (line["tag"], line["mailbox"]) == ("-", "-")
    assert "'-," not in text

    # When the lead groups by the requester's domain
    lead.get_by_label("Group by").select_option("domain")
    lead.get_by_role("button", name="Show").click()
    # Then the new customer's domain has a row
    expect(lead.get_by_role("heading", name="By Customer domain")).to_be_visible()
    # (a row named by the domain alone, once the customers' rows have gone)
    domain_row = lead.locator("table.figures tbody").get_by_role(
        "row", name=re.compile(r"^customer\.test\b")
    )
    expect(domain_row).to_have_count(1)

    # When the lead groups by group, then by tag
    def all_zero(row: Locator) -> bool:
        return all(cell in {"0", "—"} for cell in row.locator("td").all_inner_texts())

    for by, heading in (("group", "By Group"), ("tag", "By Tag")):
        lead.get_by_label("Group by").select_option(by)
        lead.get_by_role("button", name="Show").click()
        expect(lead.get_by_role("heading", name=heading)).to_be_visible()
        rows_shown = lead.locator("table.figures tbody tr")
        expect(rows_shown.first).to_be_visible()
        # Then no row is all zeros (a value every ticket has left has none)
        assert not [r.inner_text() for r in rows_shown.all() if all_zero(r)]
    expect(lead.locator("table.figures tbody tr", has_text=gone)).to_have_count(0)

    # When the lead reads the page in Persian
    lead.locator("label.language select").select_option("fa")
    # Then the days are Persian dates in Persian digits (no ISO date), the legend Persian
    lead.get_by_text("نمودار به صورت جدول").click()
    first_day = lead.locator(".chart details table tbody tr th").first
    expect(first_day).to_have_text(re.compile(r"^[^0-9]*[۰-۹]+[^0-9]*$"))
    expect(lead.locator(".chart-box .u-legend")).to_contain_text("روز")
    expect(lead.locator("p.zone")).to_contain_text("UTC")
    lead.locator(".chart").screenshot(path=str(ARTIFACTS / "reports-chart-fa.png"))
    # Then the knowledge base's figures are named in Persian, right to left
    kb_fa = lead.locator("section", has=lead.get_by_role("heading", name="پایگاه دانش"))
    expect(kb_fa.locator("dt").get_by_text("جست‌وجوها", exact=True)).to_be_visible()
    expect(lead.locator("html")).to_have_attribute("dir", "rtl")
    kb_fa.screenshot(path=str(ARTIFACTS / "reports-kb-fa.png"))


def test_an_agent_sees_my_numbers_in_persian_and_on_a_phone(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    page = agent_page(viewport={"width": 390, "height": 844})
    sign_in(page, stack, "alice@example.com")
    page.get_by_role("link", name="My numbers").click()
    expect(page.get_by_role("heading", name="My numbers", level=1)).to_be_visible()
    expect(page.get_by_label("Group by")).to_have_count(0)
    rows = page.locator("table.figures tbody tr")
    expect(rows.first).to_contain_text("alice@example.com")
    expect(rows).to_have_count(1)
    assert serious_violations(page) == []
    page.screenshot(path=str(DOCS_IMAGES / "reports-phone.png"), full_page=True)
    page.get_by_label("Language").select_option("fa")
    expect(page.get_by_role("heading", name="آمار من", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.wait_for_timeout(300)
    page.screenshot(path=str(DOCS_IMAGES / "reports-fa.png"), full_page=True)


def test_an_admin_switches_the_weekly_digest_on_in_settings(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    page = agent_page()
    sign_in(page, stack)
    page.get_by_role("link", name="Settings").click()
    digest = page.get_by_label("once a week: last week's numbers (the weekly digest)")
    expect(digest).not_to_be_checked()
    digest.check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    _, me = stack.request("GET", "/api/me", token=stack.login())
    assert me["notify"]["weekly_digest"] is True


def test_a_short_range_is_drawn_day_by_day_in_the_agents_own_zone(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    # Given an admin whose time zone (Settings) is Tehran
    page = agent_page(viewport={"width": 1366, "height": 900})
    sign_in(page, stack)
    page.evaluate("localStorage.setItem('tessera.console.zone.admin@example.com', 'Asia/Tehran')")
    page.reload()
    expect(page.get_by_role("navigation", name="Views")).to_be_visible()
    # When they open five quiet days of an old year
    with page.expect_request(re.compile(r"/api/reports/summary\?.*interval=day")) as asked:
        page.goto(f"{stack.url}/console/#/reports?from=2020-01-06&to=2020-01-10")
    # Then the numbers are asked for in their zone, and the page says so
    assert "tz=Asia%2FTehran" in asked.value.url
    expect(page.locator("p.zone")).to_contain_text("Asia/Tehran")
    # And the chart has one point per day: hovering its last shows that day, not an hour
    expect(page.locator(".chart-box canvas")).to_be_visible()
    box = page.locator(".chart-box .u-over").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    legend = page.locator(".chart-box .u-legend .u-series")
    expect(legend.first.locator(".u-value")).to_have_text("Jan 10, 2020")
    expect(legend.nth(1).locator(".u-value")).to_have_text("0")
    page.mouse.move(0, 0)
    page.locator(".chart").screenshot(path=str(ARTIFACTS / "reports-chart-five-days.png"))

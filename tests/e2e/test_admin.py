"""The admin center in a real Chromium against the local stack: an admin invites an agent who
signs in with the temporary password and gets a ticket, then disables them (confirmed; their
open ticket listed for reassignment; their sign-in refused); groups and tiers shown from the
applied document; a canned response edited with its live preview reaches the agent composer;
a concurrent edit is a 412 that keeps the admin's text; the audit log found by actor and
exported; Persian and a phone; no serious accessibility violation."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.steps import sign_in_by_mail
from tests.e2e.test_console import agent_page, portal_ticket, sign_in, unique
from tests.localstack import RunningStack, customer_session

__all__ = ["agent_page"]  # the console's fixture: fails a test on any console error

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
TEMPORARY = "Temporary-pass-123"
OWN = "Own-password-12345"


def shot(page: Page, name: str) -> None:
    """Keep a screenshot among the test's artifacts (the good ones are copied to docs/images)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"admin-{name}.png"), full_page=True)


def no_serious_violations(page: Page) -> None:
    results = Axe().run(page)
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert serious == [], serious


def first_sign_in(
    agent_page: Callable[..., Page], stack: RunningStack, email: str, temporary: str
) -> Page:
    """A new agent's first sign-in: the temporary password, then one of their own."""
    agent = agent_page(allowed=(401,))  # the temporary password's "choose your own" answer
    agent.goto(f"{stack.url}/console/")
    agent.get_by_label("Email").fill(email)
    agent.get_by_label("Password", exact=True).fill(temporary)
    agent.get_by_role("button", name="Sign in").click()
    agent.get_by_label("Choose your own password").fill(OWN)
    agent.get_by_role("button", name="Sign in").click()
    expect(agent.get_by_role("navigation", name="Views")).to_be_visible()
    return agent


def open_admin(page: Page, stack: RunningStack, area: str) -> None:
    page.goto(f"{stack.url}/console/#/admin/{area}")
    expect(page.get_by_role("navigation", name="Admin center")).to_be_visible()


def test_an_admin_invites_an_agent_who_signs_in_gets_a_ticket_and_is_disabled(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    # Given an admin on the People page
    admin = agent_page()
    sign_in(admin, stack)
    admin.get_by_role("link", name="Admin", exact=True).click()
    expect(admin.get_by_role("heading", name="People")).to_be_visible()
    expect(admin.locator("tr[data-email='alice@example.com']")).to_contain_text("billing, support")
    # When they invite a new agent with a temporary password
    email = f"new.{uuid.uuid4().hex[:6]}@example.com"
    admin.get_by_text("Invite someone").click()
    admin.get_by_label("Email", exact=True).fill(email)
    admin.get_by_label("Temporary password (optional)").fill(TEMPORARY)
    admin.get_by_role("button", name="Invite", exact=True).click()
    row = admin.locator(f"tr[data-email='{email}']")
    expect(row).to_contain_text("invited")
    expect(row).to_contain_text("not in the groups document")
    # And the admin's own row offers no way to lock themself out, and says why
    own = admin.locator("tr[data-email='admin@example.com']")
    expect(own.get_by_role("button", name="Disable")).to_be_disabled()
    expect(own.get_by_label("Role of admin@example.com")).to_be_disabled()
    expect(own).to_contain_text("This is you: another admin can change your role")
    shot(admin, "people")
    no_serious_violations(admin)
    # Then the new agent signs in with it, chooses a password and sees a ticket assigned to them
    ticket = portal_ticket(stack, unique("For the new agent"))
    token = stack.login()
    status, _ = stack.request(
        "PATCH",
        f"/api/tickets/{ticket['id']}",
        {"assignee": email},
        token=token,
        headers={"If-Match": f'"{ticket["version"]}"'},
    )
    assert status == 200
    agent = first_sign_in(agent_page, stack, email, TEMPORARY)
    expect(agent.get_by_role("link", name="Admin", exact=True)).to_have_count(0)
    expect(agent.locator("tbody")).to_contain_text(ticket["subject"])
    # When the admin disables them, confirming in the dialog
    admin.reload()
    row = admin.locator(f"tr[data-email='{email}']")
    row.get_by_role("button", name="Disable").click()
    dialog = admin.get_by_role("dialog", name=f"Disable {email}?")
    expect(dialog).to_be_visible()
    no_serious_violations(admin)
    dialog.get_by_role("button", name="Disable").click()
    # Then their open ticket is listed for reassignment and they show as disabled and offline
    orphans = admin.get_by_role("region", name=re.compile("open ticket to reassign"))
    expect(orphans).to_contain_text(ticket["subject"])
    expect(row).to_contain_text("disabled")
    expect(row).to_contain_text("Offline")
    shot(admin, "people-disabled")
    # And they cannot sign in any more
    again = agent_page(allowed=(401,))
    again.goto(f"{stack.url}/console/")
    again.get_by_label("Email").fill(email)
    again.get_by_label("Password", exact=True).fill(OWN)
    again.get_by_role("button", name="Sign in").click()
    expect(again.get_by_role("alert")).to_contain_text("This account is disabled.")
    # And the pickers of the console no longer offer them (the queue's assignee filter)
    admin.goto(f"{stack.url}/console/#/view/all")
    admin.reload()  # the workspace is read when the console loads
    assignee = admin.locator(".filters select[name='assignee']")
    expect(assignee.locator("option[value='alice@example.com']")).to_have_count(1)
    expect(assignee.locator(f"option[value='{email}']")).to_have_count(0)
    # And the audit log lists the invitation and the disabling, by this admin
    open_admin(admin, stack, "audit")
    admin.get_by_label("Admin (email)").fill("admin@example.com")
    admin.get_by_role("button", name="Search").click()
    expect(admin).to_have_url(re.compile(r"#/admin/audit\?actor=admin%40example.com"))
    table = admin.locator("table.audit")
    expect(table).to_contain_text(f"account:{email}")
    expect(table).to_contain_text("account.disabled")
    expect(table).to_contain_text("account.invited")
    shot(admin, "audit")
    no_serious_violations(admin)
    with admin.expect_download() as downloaded:
        admin.get_by_role("button", name="Download CSV").click()
    csv_text = Path(downloaded.value.path()).read_text()
    assert csv_text.startswith("at,actor,action,target,before,after")
    assert f"account:{email}" in csv_text


def test_an_invitation_without_a_password_arrives_by_mail_and_is_resent(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    # Given an admin who invites someone without a temporary password
    admin = agent_page()
    sign_in(admin, stack)
    open_admin(admin, stack, "people")
    email = f"mailed.{uuid.uuid4().hex[:6]}@example.com"
    admin.get_by_text("Invite someone").click()
    admin.get_by_label("Email", exact=True).fill(email)
    admin.get_by_role("button", name="Invite", exact=True).click()
    row = admin.locator(f"tr[data-email='{email}']")
    expect(row).to_contain_text("invited")

    def invitations() -> list[str]:
        _status, outbox = stack.request("GET", "/_local/outbox")
        return [
            re.search(r"temporary password (\S+?), then", m["text"]).group(1)  # type: ignore[union-attr]
            for m in outbox
            if email in m["to"] and "temporary password" in m["text"]
        ]

    # Then the invitation is in the local outbox, as Cognito would mail it
    [first] = invitations()
    # When the admin resends it from the row
    row.get_by_role("button", name=f"Resend the invitation to {email}").click()
    expect(admin.get_by_role("status")).to_contain_text("went out again")
    shot(admin, "people-resent")
    # Then a second mail carries a new password, which signs in (choosing their own)
    again, second = invitations()
    assert (again, second != first) == (first, True)
    first_sign_in(agent_page, stack, email, second)
    # And once they signed in, their row offers no resend
    admin.reload()
    expect(
        admin.locator(f"tr[data-email='{email}']").get_by_role("button", name="Resend")
    ).to_have_count(0)


def test_a_canned_response_edited_with_live_preview_reaches_the_composer(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    # Given an admin on the canned responses page (a draft's error is a 400 the preview shows)
    admin = agent_page(allowed=(400,))
    sign_in(admin, stack)
    open_admin(admin, stack, "canned")
    editor = admin.get_by_label("Document (YAML)")
    expect(editor).to_have_value(re.compile("canned"))
    title = unique("Warm welcome")
    text = editor.input_value().rstrip("\n")
    # When they add a response with placeholders
    editor.fill(
        f"{text}\n  - id: welcome-{uuid.uuid4().hex[:6]}\n    title: {title}\n"
        '    text: "Hello {{requester.name}}, about #{{ticket.number}}."\n'
    )
    # Then the preview shows it filled for the sample ticket, before anything is applied
    preview = admin.get_by_role("region", name="Preview")
    expect(preview).to_contain_text(title)
    expect(preview).to_contain_text("about #1042.")
    shot(admin, "canned")
    no_serious_violations(admin)
    # When an unknown placeholder is typed, the preview says where
    good = editor.input_value()
    editor.fill(good.replace("{{ticket.number}}", "{{ticket.nope}}"))
    expect(preview).to_contain_text("unknown placeholder")
    editor.fill(good)
    admin.get_by_role("button", name="Apply").click()
    expect(admin.get_by_role("status")).to_contain_text("Applied as version")
    # Then an agent finds it in the composer, filled for the ticket
    ticket = portal_ticket(stack, unique("Canned from admin"))
    agent = agent_page()
    sign_in(agent, stack, "alice@example.com")
    agent.goto(f"{stack.url}/console/#/tickets/{ticket['id']}")
    # (functions cache applied config up to 30 s: the composer reads a fresh list per page)
    picker = agent.get_by_label("Canned response")
    expect(picker.locator("option", has_text=title)).to_have_count(1, timeout=45_000)


def test_a_concurrent_edit_is_refused_and_keeps_the_admins_text(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    # Given an admin editing the fields document
    page = agent_page(allowed=(412,))
    sign_in(page, stack)
    open_admin(page, stack, "fields")
    editor = page.get_by_label("Document (YAML)")
    expect(editor).to_have_value(re.compile("fields"))
    expect(page.locator("table.fields")).to_contain_text("order_number")
    mine = editor.input_value() + "  - key: mine_only\n    type: text\n"
    editor.fill(mine)
    # When someone else applies a version first
    token = stack.login()
    _status, current = stack.request("GET", "/api/admin/config/fields", token=token)
    theirs = current["text"] + "  - key: theirs_first\n    type: text\n"
    status, _ = stack.request(
        "PUT",
        "/api/admin/config/fields",
        {"text": theirs},
        token=token,
        headers={"If-Match": f'"{current["version"]}"'},
    )
    assert status == 200
    page.get_by_role("button", name="Apply").click()
    # Then the page shows their version, and the admin's text is still in the editor
    conflict = page.locator(".conflict")
    expect(conflict).to_contain_text(f"version {current['version'] + 1}")
    expect(conflict).to_contain_text("theirs_first")
    expect(editor).to_have_value(re.compile("mine_only"))
    shot(page, "fields-conflict")


def test_groups_show_their_tiers_and_a_bad_document_is_refused_at_its_line(
    agent_page: Callable[..., Page], stack: RunningStack
) -> None:
    page = agent_page(allowed=(400,))
    sign_in(page, stack)
    open_admin(page, stack, "groups")
    table = page.locator("table.groups")
    expect(table.get_by_role("row", name=re.compile("^L2 support-l2"))).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("^L1 support → support-l2"))).to_be_visible()
    # each with the business calendar its tickets' SLA clocks run on (docs/sla.md)
    expect(
        table.get_by_role("row", name=re.compile("^L2 support-l2.*around-the-clock$"))
    ).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("^L1 support → .*office$"))).to_be_visible()
    editor = page.get_by_label("Document (YAML)")
    expect(editor).to_have_value(re.compile("groups:"))
    editor.fill(editor.input_value().replace("strategy: least-loaded", "strategy: at-random", 1))
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("alert").first).to_contain_text(re.compile(r"strategy.*line \d+"))
    shot(page, "groups")
    no_serious_violations(page)


def test_a_required_custom_field_defined_by_the_admin_shows_in_the_portal_form(
    agent_page: Callable[..., Page], page: Page, stack: RunningStack
) -> None:
    # Given an admin who adds a customer field the portal must ask for, with its labels
    admin = agent_page()
    sign_in(admin, stack)
    open_admin(admin, stack, "fields")
    editor = admin.get_by_label("Document (YAML)")
    expect(editor).to_have_value(re.compile("fields:"))
    before = editor.input_value()
    editor.fill(
        before.rstrip("\n") + "\n  - key: contract_id\n    type: text\n    customer_visible: true\n"
        "    required: [customers]\n    labels: {en: Contract ID, fa: شناسهٔ قرارداد}\n"
    )
    admin.get_by_role("button", name="Apply").click()
    expect(admin.get_by_role("status")).to_contain_text("Applied as version")
    # Then the table shows its label and whom it is required of
    contract = admin.locator("table.fields tr", has_text="contract_id")
    expect(contract).to_contain_text("Contract ID")
    expect(contract.locator("td").last).to_have_text("customers")
    shot(admin, "fields")
    try:
        # When a customer opens the portal's form
        email = f"field.{uuid.uuid4().hex[:6]}@customer.test"
        sign_in_by_mail(page, stack, email)
        page.goto(f"{stack.url}/new.html")
        field = page.get_by_label("Contract ID")
        # Then the field is there, required, and says so: the form is not sent without it
        expect(field).to_be_visible()
        expect(field).to_have_attribute("required", "")
        expect(page.locator("label[for='field-contract_id']")).to_have_text(
            "Contract ID (required)"
        )
        page.get_by_label("Subject").fill(unique("Contract question"))
        page.get_by_label("Describe your problem").fill("About my contract.")
        page.get_by_role("button", name="Open ticket").click()
        expect(page).to_have_url(re.compile(r"/new\.html"))
        field.fill("C-1234")
        page.get_by_role("button", name="Open ticket").click()
        expect(page).to_have_url(re.compile(r"/ticket\.html"))
        details = page.locator("#ticket-details")
        expect(details).to_contain_text("C-1234")
        # And the ticket page names the field by its label, never by its key
        expect(details.locator("dt")).to_contain_text(["Contract ID"])
        expect(details).not_to_contain_text("contract_id")
        page.screenshot(path=str(ARTIFACTS / "portal-ticket-field-label.png"), full_page=True)
        # And so does the agent console's ticket page, in the agent's language
        ticket_id = re.search(r"id=([^&]+)", page.url).group(1)  # type: ignore[union-attr]
        admin.reload()
        admin.goto(f"{stack.url}/console/#/tickets/{ticket_id}")
        expect(admin.get_by_label("Contract ID")).to_have_value("C-1234")
        admin.locator("label.language select").select_option("fa")
        expect(admin.get_by_label("شناسهٔ قرارداد")).to_have_value("C-1234")
        shot(admin, "fa-ticket-field-label")
        admin.locator("label.language select").select_option("en")
        # And the API refuses a ticket without it, naming the field
        token = customer_session(stack, email)
        status, body = stack.request(
            "POST", "/api/tickets", {"subject": "No contract", "body": "x"}, token=token
        )
        assert (status, body["error"]["field"]) == (400, "custom_fields.contract_id")
    finally:
        # The shared stack's other tests open tickets without it
        token = stack.login()
        _status, current = stack.request("GET", "/api/admin/config/fields", token=token)
        stack.request(
            "PUT",
            "/api/admin/config/fields",
            {"text": before},
            token=token,
            headers={"If-Match": f'"{current["version"]}"'},
        )


@pytest.mark.parametrize("area", ["people", "groups", "canned", "fields", "audit"])
def test_the_admin_center_in_persian_and_on_a_phone(
    agent_page: Callable[..., Page], stack: RunningStack, area: str
) -> None:
    page = agent_page()
    sign_in(page, stack)
    page.locator("label.language select").select_option("fa")
    page.goto(f"{stack.url}/console/#/admin/{area}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("navigation", name="مرکز مدیریت")).to_be_visible()
    expect(page.locator("main table, main textarea, main .empty").first).to_be_visible()
    page.wait_for_timeout(500)
    shot(page, f"fa-{area}")
    no_serious_violations(page)
    phone = agent_page(viewport={"width": 390, "height": 844})
    sign_in(phone, stack)
    phone.goto(f"{stack.url}/console/#/admin/{area}")
    expect(phone.locator("main table, main textarea, main .empty").first).to_be_visible()
    phone.wait_for_timeout(500)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{area}: the page scrolls sideways ({width}px)"
    shot(phone, f"phone-{area}")


def test_an_agent_has_no_admin_center(agent_page: Callable[..., Page], stack: RunningStack) -> None:
    page = agent_page()
    sign_in(page, stack, "bahram@example.com")
    expect(page.get_by_role("link", name="Admin", exact=True)).to_have_count(0)
    page.goto(f"{stack.url}/console/#/admin/people")
    expect(page.get_by_role("alert")).to_contain_text("Only admins")

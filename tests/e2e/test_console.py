"""The agent console in a real Chromium: sign in, see the queue, open a ticket, and untrusted
mail HTML never runs."""

from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage

from playwright.sync_api import Page, expect

from tests.localstack import PASSWORD, RunningStack, wait_for


def send_html_mail(stack: RunningStack, subject: str, html: str) -> None:
    message = EmailMessage()
    message["From"] = "Mallory <mallory@customer.test>"
    message["To"] = "support@example.com"
    message["Subject"] = subject
    message.set_content("plain version")
    message.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)


def sign_in(page: Page, stack: RunningStack) -> None:
    page.goto(f"{stack.url}/console/")
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_wrong_password_shows_an_error(page: Page, stack: RunningStack) -> None:
    page.goto(f"{stack.url}/console/")
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong email or password")
    expect(page.get_by_role("heading", name="Tickets")).to_be_hidden()


def test_agent_signs_in_and_opens_a_mailed_ticket(page: Page, stack: RunningStack) -> None:
    # Given a customer mail whose HTML tries to run script in the agent's browser
    subject = f"Hostile HTML {uuid.uuid4().hex[:6]}"
    send_html_mail(
        stack,
        subject,
        '<p>Hello<img src="x" onerror="window.pwned=1"></p><script>window.pwned=2</script>',
    )
    token = stack.login()

    def listed() -> bool:
        _status, page_of_tickets = stack.request("GET", "/api/tickets", token=token)
        return any(t["subject"] == subject for t in page_of_tickets["items"])

    assert wait_for(listed, timeout=10), "intake did not make the ticket"

    # When the agent signs in and opens the ticket from the queue
    sign_in(page, stack)
    expect(page.get_by_role("heading", name="Tickets")).to_be_visible()
    expect(page.get_by_role("heading", name="Agent sign-in")).to_be_hidden()
    row = page.get_by_role("row").filter(has_text=subject)
    expect(row).to_be_visible(timeout=10_000)
    row.click()

    # Then the thread and the audit trail show, and nothing from the mail ran
    expect(page.get_by_role("heading", name=subject)).to_be_visible()
    expect(page.locator("#thread li").first).to_contain_text("plain version")
    expect(page.locator("#audit li").first).to_contain_text("ticket.created")
    assert page.evaluate("window.pwned") is None

    # And the back button returns to the queue with the ticket in it
    page.get_by_role("button", name="Back to the queue").click()
    expect(page.get_by_role("row").filter(has_text=subject)).to_be_visible()


def test_session_survives_a_reload_and_sign_out_ends_it(page: Page, stack: RunningStack) -> None:
    sign_in(page, stack)
    expect(page.get_by_role("heading", name="Tickets")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Tickets")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Agent sign-in")).to_be_visible()


def test_refresh_shows_mail_that_arrived_after_sign_in(page: Page, stack: RunningStack) -> None:
    sign_in(page, stack)
    expect(page.get_by_role("heading", name="Tickets")).to_be_visible()
    subject = f"Arrived later {uuid.uuid4().hex[:6]}"
    send_html_mail(stack, subject, "<p>later</p>")

    def shown_after_refresh() -> bool:
        page.get_by_role("button", name="Refresh").click()
        page.wait_for_load_state("networkidle")
        return page.get_by_role("row").filter(has_text=subject).count() == 1

    assert wait_for(shown_after_refresh, timeout=10, interval=0.5)


def test_a_new_agent_chooses_their_own_password_at_first_sign_in(
    page: Page, stack: RunningStack
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
    page.goto(f"{stack.url}/console/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("Temporary-pass-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("temporary")
    page.get_by_label("Choose your own password").fill("Chosen-password-2")
    page.get_by_role("button", name="Sign in").click()
    # Then they are in, and their own password works from then on
    expect(page.get_by_role("heading", name="Tickets")).to_be_visible()
    assert stack.login(email, "Chosen-password-2")

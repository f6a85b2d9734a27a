"""The admin center's mail quarantine in a real Chromium against the local stack: a mail SES
found a virus in is listed with its reason and sender, its raw mail is saved as a file, and
after a confirmation it is reprocessed into a ticket and leaves the list; a discard keeps the
raw mail. The safeguards in force are shown."""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_admin_config import serious_violations
from tests.e2e.test_console import agent_page, sign_in  # noqa: F401  (the console's fixture)
from tests.localstack import RunningStack, wait_for

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "mail"

expect.set_options(timeout=15_000)


def send(stack: RunningStack, raw: bytes, sender: str) -> None:
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.sendmail(sender, ["support@example.com"], raw)


def bouncing_address(stack: RunningStack) -> str:
    """An address whose acknowledgement bounced (a delivery report came back for it)."""
    address = f"gone.{uuid.uuid4().hex[:6]}@customer.test"
    raw = (
        f"From: {address}\r\nTo: support@example.com\r\nSubject: Hello\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@customer.test>\r\n\r\nHi\r\n"
    ).encode()
    send(stack, raw, address)

    def acknowledged() -> dict[str, object] | None:
        _s, outbox = stack.request("GET", "/_local/outbox")
        return next((m for m in outbox if address in m["to"]), None)

    ack = wait_for(acknowledged, timeout=30, interval=0.5)
    assert ack, f"no acknowledgement to {address}"
    dsn = (CORPUS / "bounce_dsn.eml").read_bytes().replace(b"gone@customer.test", address.encode())
    dsn = dsn.replace(b"<dsn-0001@mx.customer.test>", f"<{uuid.uuid4().hex}@mx>".encode())
    dsn = dsn.replace(b"{ORIGINAL}", ack["headers"]["Message-ID"].encode())  # type: ignore[index]
    send(stack, dsn, "")
    admin = stack.login()

    def marked() -> bool:
        _s, found = stack.request("GET", "/api/admin/mail/bounced", token=admin)
        return address in [b["address"] for b in found["items"]]

    assert wait_for(marked, timeout=20, interval=0.5), f"{address} was not marked bouncing"
    return address


def test_a_bouncing_address_is_listed_and_unblocked(
    agent_page: Callable[..., Page],  # noqa: F811
    stack: RunningStack,
) -> None:
    address = bouncing_address(stack)
    page = agent_page()
    sign_in(page, stack)
    page.goto(f"{stack.url}/console/#/admin/mail")
    row = page.locator(f'tr[data-address="{address}"]')
    expect(row).to_be_visible()
    # When the admin unblocks it, confirming
    row.get_by_role("button", name="Unblock").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(address)
    dialog.get_by_role("button", name="Unblock").click()
    # Then it leaves the list
    expect(page.get_by_role("status").last).to_contain_text(f"{address} is unblocked")
    expect(row).to_have_count(0)


def quarantined_mail(stack: RunningStack, sender: str) -> dict[str, object]:
    """Send a mail SES marked as a virus (intake quarantines it); its quarantine record."""
    raw = (
        f"From: {sender}\r\nTo: support@example.com\r\nSubject: Invoice attached\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@customer.test>\r\nX-SES-Virus-Verdict: FAIL\r\n\r\n"
        "open the attachment\r\n"
    ).encode()
    send(stack, raw, sender)
    admin = stack.login()

    def listed() -> dict[str, object] | None:
        _s, found = stack.request("GET", "/api/admin/mail/quarantine", token=admin)
        return next((m for m in found["items"] if m["sender"] == sender), None)

    held = wait_for(listed, timeout=20, interval=0.5)
    assert held, f"no quarantined mail from {sender}"
    return held


def test_a_quarantined_mail_is_downloaded_and_reprocessed_into_a_ticket(
    agent_page: Callable[..., Page],  # noqa: F811
    stack: RunningStack,
) -> None:
    sender = f"infected.{uuid.uuid4().hex[:6]}@customer.test"
    held = quarantined_mail(stack, sender)
    page = agent_page()
    sign_in(page, stack)
    page.goto(f"{stack.url}/console/#/admin/mail")
    # Then it is listed with its reason and sender, and the safeguards are shown
    row = page.locator(f'tr[data-mail="{held["id"]}"]')
    expect(row).to_contain_text(sender)
    expect(row).to_contain_text("virus verdict")
    expect(page.locator(".limits")).to_contain_text("Open tickets per requester")
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "admin-mail-quarantine.png"), full_page=True)
    # When the admin saves the raw mail, it is a file, not a page
    with page.expect_download() as download:
        row.get_by_role("button", name="Raw mail").click()
    assert download.value.suggested_filename == f"{held['id']}.eml"
    assert f"From: {sender}" in Path(download.value.path()).read_text(encoding="utf-8")
    # When the admin reprocesses it, confirming
    row.get_by_role("button", name="Reprocess").click()
    page.get_by_role("dialog").get_by_role("button", name="Reprocess").click()
    # Then it becomes a ticket and leaves the quarantine
    expect(page.get_by_role("status").last).to_contain_text("Reprocessed: ticket #")
    expect(row).to_have_count(0)
    _s, tickets = stack.request("GET", "/api/tickets?view=all&limit=100", token=stack.login())
    assert "Invoice attached" in [t["subject"] for t in tickets["items"]]
    # And every AWS call the API made for it is one its IAM policy allows
    _s, report = stack.request("GET", "/_local/iam")
    assert "s3:GetObject" in {c["action"] for c in report["calls"]}
    assert report["denied"] == []


def test_a_discarded_mail_leaves_the_list_and_its_raw_mail_stays(
    agent_page: Callable[..., Page],  # noqa: F811
    stack: RunningStack,
) -> None:
    sender = f"discard.{uuid.uuid4().hex[:6]}@customer.test"
    held = quarantined_mail(stack, sender)
    page = agent_page()
    sign_in(page, stack)
    page.goto(f"{stack.url}/console/#/admin/mail")
    row = page.locator(f'tr[data-mail="{held["id"]}"]')
    row.get_by_role("button", name="Discard").click()
    # When the admin cancels, nothing happens
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(row).to_be_visible()
    # When the admin confirms
    row.get_by_role("button", name="Discard").click()
    page.get_by_role("dialog").get_by_role("button", name="Discard").click()
    expect(page.get_by_role("status").last).to_contain_text("The raw mail is kept")
    expect(row).to_have_count(0)
    # And the CLI can still reprocess the raw mail by its key
    result = stack.cli("mail", "reprocess", f"inbound/{held['id']}")
    assert f"inbound/{held['id']}: created" in result.stdout, result.stdout + result.stderr

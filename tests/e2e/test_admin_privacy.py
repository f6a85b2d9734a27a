"""The admin center's Privacy area in a real Chromium against the local stack: an admin enters a
requester's address, downloads their data as a JSON file, then erases them after typing the
address again; the result is shown, the requester's ticket no longer holds the address, and both
actions are on the audit log (the erase under the alias, never the address)."""

from __future__ import annotations

import json
import smtplib
import uuid
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_admin_config import serious_violations
from tests.e2e.test_console import agent_page, sign_in  # noqa: F401  (the console's fixture)
from tests.localstack import RunningStack, wait_for

expect.set_options(timeout=15_000)


def requester_with_a_ticket(stack: RunningStack) -> str:
    """A new customer who mailed support once; their address once the ticket exists."""
    address = f"leaving.{uuid.uuid4().hex[:6]}@customer.test"
    raw = (
        f"From: {address}\r\nTo: support@example.com\r\nSubject: Please forget me\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@customer.test>\r\n\r\nMy phone is 555-0199\r\n"
    ).encode()
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.sendmail(address, ["support@example.com"], raw)
    admin = stack.login()

    def exported() -> bool:
        status, found = stack.request(
            "POST", "/api/admin/privacy/export", {"email": address}, token=admin
        )
        assert status == 200, "".join(stack.output[-40:])
        return bool(found["tickets"])

    assert wait_for(exported, timeout=30, interval=0.5), f"no ticket from {address}"
    return address


def test_an_admin_exports_then_erases_a_requester(
    agent_page: Callable[..., Page],  # noqa: F811
    stack: RunningStack,
) -> None:
    address = requester_with_a_ticket(stack)
    page = agent_page()
    sign_in(page, stack)
    page.goto(f"{stack.url}/console/#/admin/privacy")
    page.get_by_label("Requester's email").fill(address)
    # When the admin downloads the requester's data
    with page.expect_download() as download:
        page.get_by_role("button", name="Download their data").click()
    # Then it is a JSON file with their ticket and its message
    assert download.value.suggested_filename == f"privacy-{address}.json"
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["email"] == address
    assert "Please forget me" in [t["ticket"]["subject"] for t in data["tickets"]]
    expect(page.locator(".privacy-result")).to_contain_text("Exported")
    # When the admin asks to erase, the action waits for the address to be typed
    page.get_by_role("button", name="Erase").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(address)
    confirm = dialog.get_by_role("button", name="Erase")
    expect(confirm).to_be_disabled()
    dialog.get_by_label("Type the address to confirm").fill("someone.else@customer.test")
    expect(confirm).to_be_disabled()
    dialog.get_by_label("Type the address to confirm").fill(address)
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "admin-privacy-confirm.png"), full_page=True)
    confirm.click()
    # Then the result is shown: an alias, one ticket, its message redacted
    result = page.locator(".privacy-result")
    expect(result).to_contain_text("Erased")
    expect(result).to_contain_text("@erased.invalid")
    expect(page.get_by_role("status").last).to_contain_text(f"{address} is erased")
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "admin-privacy.png"), full_page=True)
    # And nothing is found under the address any more
    admin = stack.login()
    _s, after = stack.request("POST", "/api/admin/privacy/export", {"email": address}, token=admin)
    assert after["tickets"] == []
    # And the audit log has the export and the erase, the erase without the address
    _s, log = stack.request("GET", "/api/admin/audit?actor=admin@example.com", token=admin)
    mine = [e for e in log["items"] if e["action"].startswith("privacy.")]
    exported = [e for e in mine if e["target"] == f"requester:{address}"]
    assert exported
    assert {e["action"] for e in exported} == {"privacy.exported"}
    erased = [e for e in mine if e["action"] == "privacy.erased"]
    assert erased
    assert erased[0]["target"].endswith("@erased.invalid")
    assert all(address not in json.dumps(e) for e in erased)
    # And the raw mail it came in was deleted, as the API's IAM policy allows
    raw_bucket = stack.environment()["RAW_MAIL_BUCKET"]
    left = stack.client("s3").list_objects_v2(Bucket=raw_bucket).get("Contents", [])
    bodies = [
        stack.client("s3").get_object(Bucket=raw_bucket, Key=o["Key"])["Body"].read() for o in left
    ]
    assert not [b for b in bodies if address.encode() in b]
    _s, report = stack.request("GET", "/_local/iam")
    assert report["denied"] == []


def test_the_privacy_area_in_persian_on_a_phone(
    agent_page: Callable[..., Page],  # noqa: F811
    stack: RunningStack,
) -> None:
    page = agent_page(viewport={"width": 390, "height": 844})
    sign_in(page, stack)
    page.locator("label.language select").select_option("fa")
    page.goto(f"{stack.url}/console/#/admin/privacy")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", name="داده‌های یک درخواست‌کننده")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width}px)"
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "admin-privacy-fa-phone.png"), full_page=True)

"""Steps the portal's browser tests share: the mail a customer got, the link in it, signing in
by mail."""

from __future__ import annotations

import base64
import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.localstack import RunningStack, wait_for

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def mail_to(stack: RunningStack, address: str, marker: str) -> dict[str, Any] | None:
    _status, outbox = stack.request("GET", "/_local/outbox")
    for mail in reversed(outbox):
        if address in mail["to"] and marker in mail["text"]:
            return mail  # type: ignore[no-any-return]
    return None


def link_in(mail: dict[str, Any], kind: str) -> str:
    found = re.search(rf"(http\S+/signin\.html#{kind}=\S+)", mail["text"])
    assert found, mail["text"]
    return found.group(1)


def sign_in_by_mail(page: Page, stack: RunningStack, email: str) -> None:
    page.goto(f"{stack.url}/signin.html")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("status")).to_contain_text("Check your mail")
    mail = wait_for(lambda: mail_to(stack, email, "#token="), timeout=10)
    assert mail, f"no sign-in mail for {email}"
    page.goto(link_in(mail, "token"))
    expect(page).to_have_url(re.compile(r"/tickets\.html"))
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()

"""Browser tests: Debian's Chromium driven by Playwright against a local stack."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def artifact_name(request: pytest.FixtureRequest) -> str:
    """The test's name as a file name (a parameter may hold a path)."""
    return re.sub(r"[/\\]+", "_", request.node.name)


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context()
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))

    # A page that breaks its own Content-Security-Policy says so on the console. (The policy of
    # the frame a mail's HTML is shown in, "img-src cid: data:", blocking a hostile mail's remote
    # image is that frame doing its job, not the page breaking.)
    def csp_violation(message: Any) -> None:
        text = message.text
        frame_at_work = "img-src cid: data:" in text
        if message.type == "error" and "Content Security Policy" in text and not frame_at_work:
            errors.append(text)

    opened.on("console", csp_violation)
    yield opened
    ARTIFACTS.mkdir(exist_ok=True)
    opened.screenshot(path=str(ARTIFACTS / f"{artifact_name(request)}.png"), full_page=True)
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"

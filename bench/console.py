"""What the agent console costs a browser: the JS and CSS it loads, and how long a 25-ticket
view takes to draw.

1. A fresh local stack with ``--tickets`` tickets (default 40) opened by staff for callers.
2. Debian's Chromium, an empty cache: sign in, open "All open". Every script and style response
   is counted (uncompressed body bytes), against the goal of 150 KB for the page's JS + CSS.
3. First render of a 25-ticket view: from the hash change to the 25th row in the table (the
   rail's counts, one Query per view, and the list's one Query, drawn), ``--runs`` times
   (default 7) on the signed-in page; median and slowest, against the goal of 300 ms.

Run: ``.venv/bin/python -m bench.console`` from the repository (about a minute; prints figures).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.localstack import PASSWORD, start_stack, stop_stack

WEIGHT_GOAL = 150 * 1024
RENDER_GOAL_MS = 300.0


def open_tickets(stack: Any, count: int) -> None:
    token = stack.login()
    for n in range(count):
        status, body = stack.request(
            "POST",
            "/api/tickets",
            {
                "subject": f"Bench ticket {n}",
                "body": "A caller's question.",
                "requester": f"bench.{uuid.uuid4().hex[:8]}@customer.test",
                "channel": "phone",
            },
            token=token,
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        assert status == 201, body


def measure(url: str, runs: int) -> tuple[dict[str, int], list[float]]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        loaded: dict[str, int] = {}

        def count(response: Any) -> None:
            kind = response.request.resource_type
            if kind in {"script", "stylesheet"} and response.ok:
                loaded[response.url.split("/", 3)[-1]] = len(response.body())

        page.on("response", count)
        page.goto(f"{url}/console/")
        page.get_by_label("Email").fill("admin@example.com")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("nav.rail a")
        page.goto(f"{url}/console/#/view/all")
        page.wait_for_selector("tbody tr:nth-child(25)")
        timings = []
        for _ in range(runs):
            page.goto(f"{url}/console/#/settings")
            page.wait_for_selector(".settings h1")
            elapsed = page.evaluate(
                """() => new Promise((done) => {
                  const start = performance.now();
                  location.hash = "#/view/all";
                  const check = () => document.querySelector("tbody tr:nth-child(25)")
                    && document.querySelector("nav.rail .count")
                    ? done(performance.now() - start) : requestAnimationFrame(check);
                  check();
                })"""
            )
            timings.append(float(elapsed))
        browser.close()
    return loaded, timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=40)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        stack = start_stack(Path(data), fresh=True, timeout=180)
        try:
            open_tickets(stack, max(args.tickets, 25))
            loaded, timings = measure(stack.url, args.runs)
        finally:
            stop_stack(stack)
    print("console page weight (uncompressed bodies):")
    for name, size in sorted(loaded.items(), key=lambda item: -item[1]):
        print(f"  {size:>8,} B  {name}")
    total = sum(loaded.values())
    verdict = "met" if total < WEIGHT_GOAL else "MISSED"
    print(f"  {total:>8,} B  JS + CSS, {len(loaded)} files")
    print(f"goal: JS + CSS under {WEIGHT_GOAL:,} bytes: {verdict}")
    median = statistics.median(timings)
    print(
        f"first render of a 25-ticket view ({len(timings)} runs): median ms {median:.0f}, "
        f"slowest ms {max(timings):.0f}"
    )
    verdict = "met" if median < RENDER_GOAL_MS else "MISSED"
    print(f"goal: median first render under {RENDER_GOAL_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()

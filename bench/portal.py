"""What the portal costs a customer's browser: bytes and requests per page, and KB search
latency for 1,000 articles.

1. A local stack (fresh, its KB published) and Debian's Chromium: the home page, a KB article
   and a ticket page (signed in by magic link), each loaded in a new browser context with an
   empty cache. Every response is counted: requests, and bytes transferred (headers + body, as
   Chromium reports them).
2. 1,000 generated English articles (about 150 words each, from a fixed vocabulary, seeded)
   published with the real publisher into memory; the search index's size, raw and gzipped; then
   in the browser, the portal's own search (``window.tessera.search``) over that index, timed for
   typed prefixes, whole words, typos and multi-word queries (median and 95th percentile).

Run: ``.venv/bin/python -m bench.portal`` from the repository (about a minute; prints figures).
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

from tessera.kb.publish import build_site
from tessera.kb.source import load
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.localstack import customer_session, start_stack, stop_stack

ROOT = Path(__file__).resolve().parents[1]

WORDS = [
    "account",
    "password",
    "invoice",
    "refund",
    "payment",
    "card",
    "subscription",
    "plan",
    "upgrade",
    "downgrade",
    "cancel",
    "export",
    "import",
    "report",
    "dashboard",
    "project",
    "member",
    "invite",
    "role",
    "permission",
    "email",
    "address",
    "notification",
    "mobile",
    "android",
    "iphone",
    "browser",
    "cache",
    "login",
    "logout",
    "session",
    "security",
    "token",
    "billing",
    "receipt",
    "tax",
    "currency",
    "discount",
    "coupon",
    "trial",
    "storage",
    "upload",
    "download",
    "file",
    "folder",
    "share",
    "link",
    "sync",
    "offline",
    "error",
    "timeout",
    "slow",
    "crash",
    "update",
    "version",
    "settings",
    "profile",
    "language",
    "timezone",
    "calendar",
    "schedule",
    "reminder",
    "integration",
    "webhook",
    "api",
    "key",
    "limit",
    "quota",
]


def generated_kb(target: Path, count: int) -> Path:
    """The repository's kb/ plus ``count`` generated English articles."""
    shutil.copytree(ROOT / "kb", target)
    rng = random.Random(7)  # reproducible text, not security
    folder = target / "en" / "troubleshooting"
    for n in range(count):
        title = " ".join(rng.sample(WORDS, 4)).capitalize()
        body = " ".join(rng.choice(WORDS) for _ in range(150))
        (folder / f"generated-{n:04d}.md").write_text(
            f"---\ntitle: {title} {n}\ndescription: {' '.join(rng.sample(WORDS, 10))}\n---\n\n"
            f"{body}\n",
            encoding="utf-8",
        )
    return target


def transferred(page: Page, url: str) -> tuple[int, int]:
    """Requests and bytes (headers + bodies) for loading ``url`` until the network is idle."""
    responses: list[Any] = []
    page.on("response", lambda response: responses.append(response))
    page.goto(url, wait_until="networkidle")
    page.wait_for_function("() => document.body.dataset.ready")
    total = 0
    for response in responses:
        sizes = response.request.sizes()
        total += sizes["responseHeadersSize"] + sizes["responseBodySize"]
    return len(responses), total


PAGE_GOAL_BYTES = 100 * 1024  # what a page may weigh on a phone's first visit


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="tessera-bench-portal-"))
    stack = start_stack(work / "stack", fresh=True)
    try:
        email = "bench@customer.test"
        session = customer_session(stack, email)
        status, ticket = stack.request(
            "POST", "/api/tickets", {"subject": "Bench", "body": "Hello"}, token=session
        )
        assert status == 201, ticket
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            print("page                      requests   bytes (headers + bodies, no cache)")
            pages = {
                "home /": "/",
                "KB article (fa)": "/kb/fa/reset-password.html",
                "new ticket (signed in)": "/new.html",
                "my tickets (signed in)": "/tickets.html",
                "ticket (signed in)": f"/ticket.html?id={ticket['id']}",
            }
            heaviest = 0
            for name, path in pages.items():
                context = browser.new_context()
                page = context.new_page()
                if "signed in" in name:
                    context.add_init_script(
                        f"localStorage.setItem('tessera.session', {json.dumps(session)})"
                    )
                requests, size = transferred(page, stack.url + path)
                print(f"{name:<25} {requests:>8}   {size:>8,}")
                heaviest = max(heaviest, size)
                context.close()
            verdict = "met" if heaviest < PAGE_GOAL_BYTES else "GOAL MISSED"
            print(f"goal: every page under {PAGE_GOAL_BYTES:,} bytes: {verdict}")

            site = build_site(load(generated_kb(work / "kb", 1000)))
            index = site["kb/en/search.json"].body
            docs = len(json.loads(index)["docs"])
            print(
                f"\nsearch index, {docs} articles: {len(index):,} bytes, "
                f"{len(gzip.compress(index)):,} gzipped"
            )
            context = browser.new_context()
            page = context.new_page()
            page.route(
                "**/kb/en/search.json",
                lambda route: route.fulfill(body=index, content_type="application/json"),
            )
            page.goto(stack.url + "/")
            page.wait_for_function("() => document.body.dataset.ready")
            queries = ["p", "pass", "password", "pasword", "invoce refund", "upgrade plan cost"]
            timings = page.evaluate(
                """async (queries) => {
                  const index = await window.tessera.loadIndex("en");
                  const out = {};
                  for (const q of queries) {
                    const times = [];
                    for (let i = 0; i < 30; i++) {
                      const t0 = performance.now();
                      window.tessera.search(index, q);
                      times.push(performance.now() - t0);
                    }
                    out[q] = times;
                  }
                  return out;
                }""",
                queries,
            )
            print("query                  median ms   p95 ms")
            for query, times in timings.items():
                times.sort()
                p95 = times[int(len(times) * 0.95) - 1]
                print(f"{query!r:<22} {statistics.median(times):>9.1f} {p95:>8.1f}")
            context.close()
            browser.close()
    finally:
        stop_stack(stack)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

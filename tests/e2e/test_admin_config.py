"""The admin center's configuration documents in a real Chromium against the local stack: a
rule draft with an error shows it at its line, a valid one is applied and listed in the
history, a concurrent apply shows the newer version and keeps the draft, a revert confirms and
becomes a new version, and a simulated rule change lists the tickets that would move. Persian,
a phone, and no serious accessibility violation."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_console import agent_page, sign_in  # noqa: F401  (the console's fixture)
from tests.localstack import RunningStack, customer_session

expect.set_options(timeout=15_000)

BAD_RULES = """rules:
  - name: misspelt
    whn:
      subject: { words: [refund] }
    then:
      - group: billing
"""


def open_config(page: Page, stack: RunningStack, kind: str = "rules") -> None:
    sign_in(page, stack)
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("navigation", name="Admin center").get_by_role(
        "link", name="Configuration"
    ).click()
    expect(page.get_by_role("heading", name="Configuration documents")).to_be_visible()
    documents = page.get_by_role("navigation", name="Documents")
    if kind != "rules":
        documents.get_by_role("link").filter(has_text=re.compile(kind, re.I)).first.click()
    # The page of this kind, not the one before it still on screen (the hash changes first)
    current = documents.locator('a[aria-current="page"]')
    expect(current).to_have_attribute("href", f"#/admin/config/{kind}")
    expect(page.locator("#config-text")).not_to_have_value("")


def serious_violations(page: Page) -> list[tuple[str, str, list[str]]]:
    results = Axe().run(page)
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def test_a_rule_draft_with_an_error_shows_it_at_its_line(
    agent_page: Callable[..., Page],  # noqa: F811
    stack: RunningStack,
) -> None:
    page = agent_page(allowed=(400,))  # the check refusing the draft, as it should
    open_config(page, stack)
    applied = page.locator("#config-text").input_value()
    # When the admin types a draft whose third line has a misspelt key
    page.locator("#config-text").fill(BAD_RULES)
    # Then the problem is shown at line 3, naming the key, and the draft cannot be applied
    problem = page.locator("#config-problem")
    expect(problem).to_contain_text("Line 3, rules[0].whn:")
    expect(problem).to_contain_text("unknown key")
    expect(page.locator(".gutter span.bad")).to_have_text("3")
    expect(page.locator(".bad-line")).to_have_attribute("data-line", "3")
    expect(page.get_by_role("button", name="Apply")).to_be_disabled()
    # And the changes against the applied version are listed
    expect(page.locator(".diff ins").first).to_be_visible()
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "admin-config-error.png"), full_page=True)
    # When the admin jumps to the line and fixes the key
    page.get_by_role("button", name="Go to line 3").click()
    page.locator("#config-text").fill(applied.replace("rules:\n", "rules:\n", 1) + "\n# reviewed\n")
    expect(problem).to_contain_text("The draft is valid.")
    # And applies it
    page.get_by_role("button", name="Apply").click()
    # Then it is the new version, at the top of the history
    expect(page.get_by_role("status").last).to_contain_text(re.compile(r"Applied as version \d+"))
    expect(page.locator(".history tbody tr").first).to_contain_text("current")
    expect(page.locator(".applied")).not_to_contain_text("local-stack")


def test_a_concurrent_apply_shows_the_newer_version_and_keeps_the_draft(
    agent_page: Callable[..., Page],  # noqa: F811
    stack: RunningStack,
) -> None:
    page = agent_page(allowed=(412,))
    open_config(page, stack, "canned")
    mine = page.locator("#config-text").input_value() + "\n# my change\n"
    page.locator("#config-text").fill(mine)
    expect(page.locator("#config-problem")).to_contain_text("The draft is valid.")
    # Given another admin applies the canned responses meanwhile
    admin = stack.login()
    _s, now = stack.request("GET", "/api/admin/config/canned", token=admin)
    theirs = now["text"] + "\n# their change\n"
    status, _ = stack.request("PUT", "/api/admin/config/canned", {"text": theirs}, token=admin)
    assert status == 200
    # When this admin applies
    page.get_by_role("button", name="Apply").click()
    # Then the page says a newer version came first, keeps the draft, diffs against theirs
    expect(page.locator(".conflict")).to_contain_text(f"Version {now['version'] + 1} was applied")
    expect(page.locator("#config-text")).to_have_value(mine)
    expect(page.locator(".diff del")).to_contain_text("# their change")
    # When the admin applies again, having seen it
    page.get_by_role("button", name="Keep my draft").click()
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status").last).to_contain_text(f"version {now['version'] + 2}")


def test_a_revert_confirms_and_becomes_a_new_version(
    agent_page: Callable[..., Page],  # noqa: F811
    stack: RunningStack,
) -> None:
    admin = stack.login()
    _s, before = stack.request("GET", "/api/admin/config/fields", token=admin)
    changed = before["text"] + "\n# to be reverted\n"
    assert (
        stack.request("PUT", "/api/admin/config/fields", {"text": changed}, token=admin)[0] == 200
    )
    page = agent_page()
    open_config(page, stack, "fields")
    expect(page.locator("#config-text")).to_have_value(changed)
    # When the admin compares the earlier version, then reverts to it
    row = page.locator(f'.history tr[data-version="{before["version"]}"]')
    row.get_by_role("button", name=f"Compare version {before['version']}").click()
    expect(page.locator(".diff").last).to_contain_text("# to be reverted")
    row.get_by_role("button", name=f"Revert to version {before['version']}").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"new version {before['version'] + 2}")
    dialog.get_by_role("button", name=f"Revert to version {before['version']}").click()
    # Then the earlier text is applied as a new version
    expect(page.locator("#config-text")).to_have_value(before["text"])
    expect(page.locator(".history tbody tr").first).to_have_attribute(
        "data-version", str(before["version"] + 2)
    )
    _s, after = stack.request("GET", "/api/admin/config/fields", token=admin)
    assert (after["version"], after["text"]) == (before["version"] + 2, before["text"])


def test_a_simulated_rule_change_lists_the_tickets_that_would_move(
    agent_page: Callable[..., Page],  # noqa: F811
    stack: RunningStack,
) -> None:
    word = f"walrus{uuid.uuid4().hex[:6]}"
    token = customer_session(stack, f"sim.{uuid.uuid4().hex[:6]}@customer.test")
    tickets = [
        stack.request(
            "POST", "/api/tickets", {"subject": f"{word} question {i}", "body": "Hi"}, token=token
        )[1]
        for i in range(2)
    ]
    page = agent_page()
    open_config(page, stack)
    # When the admin adds a rule to the draft and simulates the last day
    applied = page.locator("#config-text").input_value()
    rule = (
        f"  - name: {word}-to-billing\n    when:\n      subject: {{ words: [{word}] }}\n"
        "    then:\n      - group: billing\n"
    )
    page.locator("#config-text").fill(applied.replace("rules:\n", "rules:\n" + rule, 1))
    expect(page.locator("#config-problem")).to_contain_text("The draft is valid.")
    page.get_by_label("Tickets of the last days").fill("1")
    page.get_by_role("button", name="Simulate").click()
    # Then both tickets are listed as moving to billing, with links to them
    result = page.get_by_role("region", name="What the draft would change")
    for ticket in tickets:
        row = result.locator(f'tr[data-ticket="{ticket["id"]}"]')
        expect(row.locator("li").filter(has_text="group").locator("ins")).to_have_text("billing")
        expect(row.get_by_role("link")).to_have_attribute("href", f"#/tickets/{ticket['id']}")
    # When the admin tries the draft on one of them
    page.get_by_label("Ticket number").fill(str(tickets[0]["number"]))
    page.get_by_role("button", name="Try on this ticket").click()
    # Then the rule that fires is named with why
    expect(page.locator(".trial-result pre")).to_contain_text(f"rule {word}-to-billing matches")
    # And nothing was applied
    expect(page.get_by_role("button", name="Apply")).to_be_enabled()
    _s, now = stack.request("GET", "/api/admin/config/rules", token=stack.login())
    assert word not in now["text"]
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "admin-rules-simulate.png"), full_page=True)


@pytest.mark.parametrize("where", ["phone", "fa"])
def test_the_config_page_in_persian_and_on_a_phone(
    agent_page: Callable[..., Page],  # noqa: F811
    stack: RunningStack,
    where: str,
) -> None:
    viewport = {"width": 390, "height": 844} if where == "phone" else None
    page = agent_page(viewport=viewport, allowed=(400,))
    open_config(page, stack)
    page.locator("#config-text").fill(BAD_RULES)
    expect(page.locator(".gutter span.bad")).to_have_text("3")
    if where == "fa":
        page.locator("label.language select").select_option("fa")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("#config-problem")).to_contain_text("سطر ۳")
    else:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways ({width}px)"
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / f"admin-config-{where}.png"), full_page=True)

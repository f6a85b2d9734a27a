"""Dry runs: ``tessera rules test`` on a mail file, and the simulation of a changed rule set
against stored tickets (fakes). Neither changes anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from tessera.cli import main as cli
from tessera.config import kinds
from tessera.routing import simulation, workflow
from tests.unit.test_routing import RULES, deliver, routed_world

ROOT = Path(__file__).resolve().parents[2]


def test_rules_test_prints_which_rules_match_a_mail_and_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a mail from a VIP about a refund
    eml = tmp_path / "vip.eml"
    eml.write_bytes(
        b"From: cfo@bigcorp.test\r\nTo: support@example.com\r\nSubject: Refund please\r\n\r\nHi"
    )

    # When the shipped rules are tried on it
    code = cli(["rules", "test", str(eml), "--rules", str(ROOT / "infra/config/rules.yaml")])

    # Then it names each matching rule, why, and the combined outcome
    out = capsys.readouterr().out
    assert code == 0
    assert "rule money-to-billing matches: subject words" in out
    assert "rule vip-first matches: requester.vip is true" in out
    assert '"group": "billing"' in out


def test_rules_test_refuses_a_bad_rules_file_naming_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules:\n  - name: a\n    then: [{grup: x}]\n", encoding="utf-8")
    eml = tmp_path / "m.eml"
    eml.write_bytes(b"From: a@b.test\r\nSubject: x\r\n\r\nx")
    assert cli(["rules", "test", str(eml), "--rules", str(bad)]) == 1
    assert f"{bad}:3: rules[0].then[0].grup: unknown action" in capsys.readouterr().err


def test_simulation_reports_only_tickets_the_changed_rules_route_differently() -> None:
    # Given three routed tickets under the current rules
    world = routed_world()
    refund = deliver(world, "Refund please")
    hello = deliver(world, "Hello")
    casino = deliver(world, "casino bonus")
    for ticket_id in (refund, hello, casino):
        workflow.route(world.deps, ticket_id)
    before = {t: world.tickets.thread(t) for t in (refund, hello, casino)}

    # When a rule set that sends refunds to "finance" is simulated
    current = kinds.validate("rules", RULES)
    changed = kinds.validate("rules", RULES.replace("{group: billing}", "{group: finance}"))
    first = world.tickets.get(refund).created_at
    count, differences = simulation.simulate(world.tickets, current, changed, first)

    # Then all three were replayed, only the refund differs, and nothing was written
    assert count == 3
    [difference] = differences
    assert difference.ticket.id == refund
    assert (difference.before["group"], difference.after["group"]) == ("billing", "finance")
    assert {t: world.tickets.thread(t) for t in (refund, hello, casino)} == before

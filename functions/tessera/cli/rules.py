"""``tessera rules test|simulate``: try routing rules before applying them. Changes nothing."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from tessera.config import ConfigError, kinds
from tessera.routing.rules import RuleSet


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("rules", help="dry-run routing rules (changes nothing)")
    actions = parser.add_subparsers(dest="action", required=True)

    test = actions.add_parser(
        "test", help="which rules match a mail (.eml) or a stored ticket (id or number)"
    )
    test.add_argument("target", help="a .eml file, a ticket id, or a ticket number")
    test.add_argument("--rules", type=Path, help="a rules.yaml to use instead of the applied one")
    test.set_defaults(run=run_test)

    simulate = actions.add_parser(
        "simulate", help="replay recent tickets against a changed rule set; print differences"
    )
    simulate.add_argument("--rules", type=Path, required=True, help="the changed rules.yaml")
    simulate.add_argument("--since", default="30d", help="how far back: 30d, 12h (default 30d)")
    simulate.add_argument("--json", action="store_true", help="one JSON object per difference")
    simulate.set_defaults(run=run_simulate)


def _load(path: Path) -> RuleSet | None:
    try:
        rule_set: RuleSet = kinds.validate("rules", path.read_text(encoding="utf-8"), str(path))
    except (OSError, ConfigError) as error:
        print(f"refused {error}", file=sys.stderr)
        return None
    return rule_set


def _applied() -> RuleSet | None:
    from tessera.bootstrap import dependencies

    rule_set: RuleSet | None = dependencies().config().get("rules")
    return rule_set


def run_test(args: argparse.Namespace) -> int:
    from tessera.routing import simulation

    rule_set = _load(args.rules) if args.rules else _applied()
    if args.rules and rule_set is None:
        return 1
    if rule_set is None:
        print("no rules applied yet (and no --rules given)", file=sys.stderr)
        return 1
    target = Path(args.target)
    if target.suffix == ".eml" or target.is_file():
        from tessera.mail.parse import UnreadableMail, parse

        try:
            facts = simulation.facts_of_mail(parse(target.read_bytes()), rule_set)
        except (OSError, UnreadableMail) as error:
            print(f"tessera: cannot read {target}: {error}", file=sys.stderr)
            return 1
    else:
        from tessera.bootstrap import dependencies
        from tessera.routing.workflow import facts_of
        from tessera.tickets import reading

        facts = facts_of(reading.ticket_thread(dependencies(), args.target), rule_set)
    from tessera.routing.rules import evaluate

    evaluation = evaluate(rule_set, facts)
    for line in simulation.explain(evaluation):
        print(line)
    print("outcome: " + json.dumps(evaluation.summary(), ensure_ascii=False, sort_keys=True))
    return 0


def since(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([dh])", text.strip())
    if match is None:
        raise SystemExit(f"tessera: --since {text!r}: use a number of days or hours, e.g. 30d")
    amount, unit = int(match[1]), match[2]
    return timedelta(days=amount) if unit == "d" else timedelta(hours=amount)


def run_simulate(args: argparse.Namespace) -> int:
    from tessera.bootstrap import dependencies
    from tessera.routing import simulation
    from tessera.tickets.model import utcnow

    changed = _load(args.rules)
    if changed is None:
        return 1
    window = since(args.since)
    count, differences = simulation.simulate(
        dependencies().tickets, _applied(), changed, utcnow() - window
    )
    for difference in differences:
        t = difference.ticket
        if args.json:
            print(
                json.dumps(
                    {
                        "ticket": t.number,
                        "id": t.id,
                        "before": difference.before,
                        "after": difference.after,
                    },
                    ensure_ascii=False,
                    sort_keys=True,
                )
            )
        else:
            print(f"#{t.number} {t.subject[:60]}")
            for key in sorted(set(difference.before) | set(difference.after)):
                old, new = difference.before.get(key), difference.after.get(key)
                if old != new:
                    print(f"  {key}: {old} -> {new}")
    print(f"{count} tickets since {args.since}: {len(differences)} would route differently")
    return 0

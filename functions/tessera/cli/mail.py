"""``tessera mail quarantined|reprocess``: the mail intake could not turn into a ticket."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("mail", help="quarantined inbound mail: list, reprocess")
    actions = parser.add_subparsers(dest="action", required=True)

    listing = actions.add_parser("quarantined", help="list quarantined mail, oldest first")
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(run=run_list)

    reprocess = actions.add_parser(
        "reprocess", help="run stored mail through intake again (SES verdicts count as passed)"
    )
    which = reprocess.add_mutually_exclusive_group(required=True)
    which.add_argument("key", nargs="?", help="the raw mail's S3 key, e.g. inbound/<id>")
    which.add_argument("--quarantined", action="store_true", help="every quarantined mail")
    reprocess.add_argument("--limit", type=int, default=100)
    reprocess.set_defaults(run=run_reprocess)


def run_list(args: argparse.Namespace) -> int:
    from tessera.bootstrap import dependencies

    held = dependencies().tickets.quarantined(limit=args.limit)
    for item in held:
        print(f"{item.at.isoformat()}  {item.key}  {item.reason}")
    if not held:
        print("no quarantined mail", file=sys.stderr)
    return 0


def run_reprocess(args: argparse.Namespace) -> int:
    from tessera import settings
    from tessera.bootstrap import dependencies
    from tessera.mail.intake import reprocess

    deps = dependencies()
    prefix = settings.mail_intake().raw_mail_prefix
    keys = (
        [q.key for q in deps.tickets.quarantined(limit=args.limit)]
        if args.quarantined
        else [args.key]
    )
    still_held = 0
    for key in keys:
        outcome = reprocess(deps, key, prefix)
        detail = outcome.ticket_id or outcome.reason
        print(f"{key}: {outcome.result} {detail}".rstrip())
        still_held += outcome.result == "quarantined"
    return 1 if still_held else 0

"""``tessera routing reconcile``: route again the tickets whose routing never finished, now (the
reconciler does it every five minutes; docs/reliability.md)."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("routing", help="tickets whose routing never finished")
    actions = parser.add_subparsers(dest="action", required=True)
    reconcile = actions.add_parser(
        "reconcile",
        help="start the routing again of tickets that waited for it longer than --wait minutes",
    )
    reconcile.add_argument(
        "--wait", type=float, default=5.0, help="minutes a ticket waited (0: every waiting one)"
    )
    reconcile.set_defaults(run=run_reconcile)


def run_reconcile(args: argparse.Namespace) -> int:
    from tessera.bootstrap import dependencies
    from tessera.routing.reconcile import reconcile
    from tessera.tickets.model import utcnow

    result = reconcile(dependencies(), utcnow(), wait=timedelta(minutes=args.wait))
    for ticket_id in result.restarted:
        print(f"{ticket_id}: routing started again")
    for ticket_id in result.given_up:
        print(f"{ticket_id}: gave up after the last attempt; in its mailbox's group")
    if not (result.restarted or result.given_up):
        print("no ticket waits for its routing")
    return 0

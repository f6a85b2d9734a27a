"""``tessera reports rebuild [--since YYYY-MM-DD]``: count every ticket again into the reports'
aggregates (history, or after a definition changed), with progress. A batch job on the stack
itself (AWS credentials, or --local), never over the API: the only full read in the reports."""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("reports", help="the reports' aggregates")
    actions = parser.add_subparsers(dest="action", required=True)
    rebuild = actions.add_parser(
        "rebuild",
        help="count every ticket (created since --since) again into the reports' aggregates",
    )
    rebuild.add_argument("--since", type=_date, help="only tickets created on or after this date")
    rebuild.set_defaults(run=run_rebuild)


def _date(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2026-11-01") from None


def run_rebuild(args: argparse.Namespace) -> int:
    from tessera import bootstrap
    from tessera.reports.aggregates import rebuild
    from tessera.sla import clocks

    deps = bootstrap.dependencies()
    started = time.monotonic()

    def progress(read: int, changed: int) -> None:
        rate = read / max(time.monotonic() - started, 1e-6)
        print(f"  {read:,} tickets read, {changed:,} changed ({rate:,.0f}/s)", flush=True)

    since = f" created since {args.since.date()}" if args.since else ""
    print(f"rebuilding the reports from every ticket{since}")
    result = rebuild(
        bootstrap.report_aggregates(),
        deps.tickets,
        clocks.applied(deps),
        since=args.since,
        progress=progress,
    )
    print(f"done: {result.read:,} tickets read, {result.changed:,} changed")
    return 0

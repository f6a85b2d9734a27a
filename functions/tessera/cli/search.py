"""``tessera search rebuild``: build the ticket index again from the table (after a restore, or
when the change feed's dead-letter queue holds a batch; docs/search.md)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("search", help="the ticket search index")
    actions = parser.add_subparsers(dest="action", required=True)
    rebuild = actions.add_parser(
        "rebuild", help="recreate the index from every ticket in the table (reports progress)"
    )
    rebuild.set_defaults(run=run_rebuild)


def run_rebuild(args: argparse.Namespace) -> int:
    from tessera import bootstrap
    from tessera.search.indexing import every_document

    started = time.monotonic()

    def progress(done: int) -> None:
        print(f"read {done} tickets ({time.monotonic() - started:.1f} s)", file=sys.stderr)

    documents = every_document(bootstrap.dependencies().tickets, progress=progress)
    stats = bootstrap.search_index().rebuild(documents)
    print(
        f"search index rebuilt: {stats.tickets} tickets, {stats.bytes_written} bytes,"
        f" {time.monotonic() - started:.1f} s"
    )
    return 0

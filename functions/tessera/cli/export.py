"""``tessera export``: every ticket, message, event, attachment reference and configuration
document as JSON lines (docs/data-export.md), on the stack itself (AWS credentials or --local)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export", help="write every ticket and config document as JSON lines (docs/data-export.md)"
    )
    parser.add_argument(
        "--output", "-o", type=Path, help="the file to write (default: standard output)"
    )
    parser.add_argument(
        "--attachments",
        type=Path,
        metavar="DIR",
        help="also copy every attachment's bytes into DIR (one file per key)",
    )
    parser.set_defaults(run=run_export)


def run_export(args: argparse.Namespace) -> int:
    from tessera import bootstrap
    from tessera.config.kinds import KINDS
    from tessera.portability.native import export_records

    def progress(tickets: int) -> None:
        print(f"exported {tickets} tickets", file=sys.stderr)

    out = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    files = bootstrap.attachments() if args.attachments else None
    copied = 0
    try:
        for record in export_records(
            bootstrap.archive(), bootstrap.config_store(), KINDS, progress=progress
        ):
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            if files is not None and record["record"] == "message":
                for attachment in record["attachments"]:
                    target = file_path(args.attachments, attachment["key"])
                    if not target.exists():
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(files.get(attachment["key"]))
                        copied += 1
    finally:
        if args.output:
            out.close()
    if files is not None:
        print(f"copied {copied} attachment files to {args.attachments}", file=sys.stderr)
    return 0


def file_path(directory: Path, key: str) -> Path:
    """Where an attachment's bytes go in (and come from) an export's attachments directory;
    a key that would leave the directory is refused."""
    target = (directory / key).resolve()
    if not target.is_relative_to(directory.resolve()):
        raise ValueError(f"attachment key {key!r} leaves {directory}")
    return target

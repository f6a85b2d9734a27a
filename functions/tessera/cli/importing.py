"""``tessera import``: tickets from a Tessera export, a Zendesk export or a Freshdesk export,
on the stack itself (AWS credentials or --local). Idempotent: a second run imports nothing twice.
``--dry-run`` reads and maps everything, writes nothing and prints the same summary."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from tessera.portability.importing import RecordError, SourceTicket


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import", help="import tickets from a tessera export, Zendesk or Freshdesk"
    )
    parser.add_argument("path", type=Path, help="the export file (tessera) or directory")
    parser.add_argument(
        "--from",
        dest="source",
        choices=["tessera", "zendesk", "freshdesk"],
        default="tessera",
        help="what made the export (default: tessera)",
    )
    parser.add_argument(
        "--attachments",
        type=Path,
        metavar="DIR",
        help="(tessera) the attachments directory `tessera export --attachments` wrote",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="read and map everything, write nothing"
    )
    parser.set_defaults(run=run_import)


def run_import(args: argparse.Namespace) -> int:
    from tessera import bootstrap
    from tessera.portability import freshdesk, zendesk
    from tessera.portability.importing import run_import as import_records
    from tessera.portability.native import ExportFile, read_export
    from tessera.portability.sources import Unmapped

    unmapped = Unmapped()
    found = ExportFile(configs=[])
    records: Iterable[SourceTicket | RecordError]
    if not args.path.exists():
        print(f"tessera: {args.path} does not exist", file=sys.stderr)
        return 1
    if args.source == "tessera":
        records = read_export(
            _lines(args.path), found, files=_files(args.attachments), name=args.path.name
        )
    elif not args.path.is_dir():
        print(f"tessera: {args.path} is not a directory of {args.source} files", file=sys.stderr)
        return 1
    elif args.source == "zendesk":
        records = zendesk.read(args.path, unmapped)
    else:
        records = freshdesk.read(args.path, unmapped)
    report = import_records(
        bootstrap.archive(),
        records,
        source=args.source,
        dry_run=args.dry_run,
        unmapped=unmapped.values,
        attachments=bootstrap.attachments,
    )
    configs = _apply_configs(found.configs, dry_run=args.dry_run)
    for line in report.lines():
        print(line)
    if found.configs:
        verb = "would apply" if args.dry_run else "applied"
        print(f"config: {verb} {configs} of {len(found.configs)} versions (the rest were current)")
    return 1 if report.errors else 0


def _lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as handle:
        yield from handle


def _files(directory: Path | None) -> Any:
    from tessera.cli.export import file_path

    def read(key: str) -> bytes | None:
        if directory is None:
            return None
        target = file_path(directory, key)
        return target.read_bytes() if target.is_file() else None

    return read


def _apply_configs(configs: list[dict[str, Any]], *, dry_run: bool) -> int:
    """Each kind's latest exported version, applied if it is not the current text already."""
    from tessera import bootstrap

    latest: dict[str, dict[str, Any]] = {}
    for record in configs:
        latest[record["kind"]] = record
    store = bootstrap.config_store()
    applied = Counter[str]()
    for kind, record in sorted(latest.items()):
        current = store.current(kind)
        if current is not None and current.text == record["text"]:
            continue
        applied[kind] += 1
        if not dry_run:
            store.apply(kind, record["text"], actor="system:import", expected_version=None)
    return sum(applied.values())

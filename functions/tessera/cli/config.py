"""``tessera config validate|apply|show``: configuration documents as reviewed code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tessera.config import ConfigError, kinds


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("config", help="validate, apply and show configuration")
    actions = parser.add_subparsers(dest="action", required=True)

    validate = actions.add_parser("validate", help="check documents without applying them")
    validate.add_argument("files", nargs="+", type=Path, help="e.g. infra/config/*.yaml")
    validate.set_defaults(run=run_validate)

    apply = actions.add_parser("apply", help="validate, then store as the next version")
    apply.add_argument("files", nargs="+", type=Path)
    apply.add_argument("--actor", default="cli", help="who applies (on the audit record)")
    apply.set_defaults(run=run_apply)

    show = actions.add_parser("show", help="print the applied version of a kind")
    show.add_argument("kind", choices=sorted(kinds.KINDS))
    show.set_defaults(run=run_show)


def kind_of(path: Path) -> str:
    """A document's kind is its file name: ``infra/config/rules.yaml`` is ``rules``."""
    return path.stem


def _check(paths: list[Path]) -> list[tuple[str, str]] | None:
    documents, failed = [], False
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
            kinds.validate(kind_of(path), text, str(path))
        except (OSError, ConfigError) as error:
            print(f"refused {error}", file=sys.stderr)
            failed = True
            continue
        documents.append((kind_of(path), text))
    return None if failed else documents


def run_validate(args: argparse.Namespace) -> int:
    documents = _check(args.files)
    if documents is None:
        return 1
    for path in args.files:
        print(f"ok {path}")
    return 0


def run_apply(args: argparse.Namespace) -> int:
    from tessera.bootstrap import config_store

    documents = _check(args.files)
    if documents is None:
        print("nothing applied", file=sys.stderr)
        return 1
    store = config_store()
    for kind, text in documents:
        current = store.current(kind)
        if current is not None and current.text == text:
            print(f"{kind}: unchanged (version {current.version})")
            continue
        stored = store.apply(
            kind, text, actor=args.actor, expected_version=current.version if current else 0
        )
        print(f"{kind}: applied version {stored.version}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from tessera.bootstrap import config_store

    current = config_store().current(args.kind)
    if current is None:
        print(f"{args.kind}: nothing applied yet", file=sys.stderr)
        return 1
    print(
        f"# {args.kind} version {current.version}, applied by {current.applied_by} "
        f"at {current.applied_at.isoformat()}"
    )
    print(current.text, end="" if current.text.endswith("\n") else "\n")
    return 0

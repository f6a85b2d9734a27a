"""``tessera config validate|apply|show``: configuration documents as reviewed code."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from tessera.config import ConfigError, kinds
from tessera.identity.access import Principal, Role


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("config", help="validate, apply and show configuration")
    actions = parser.add_subparsers(dest="action", required=True)

    validate = actions.add_parser("validate", help="check documents without applying them")
    validate.add_argument("files", nargs="+", type=Path, help="e.g. infra/config/*.yaml")
    validate.set_defaults(run=run_validate)

    apply = actions.add_parser("apply", help="validate, then store as the next version")
    apply.add_argument("files", nargs="+", type=Path)
    apply.add_argument(
        "--actor",
        default=None,
        help="who applies, on the version and the admin audit log (default: cli:<your user name>)",
    )
    apply.set_defaults(run=run_apply)

    show = actions.add_parser("show", help="print the applied version of a kind")
    show.add_argument("kind", choices=sorted(kinds.KINDS))
    show.set_defaults(run=run_show)


def kind_of(path: Path) -> str:
    """A document's kind is its file name: ``infra/config/rules.yaml`` is ``rules``."""
    return path.stem


def _check(paths: list[Path], applied_sla: Any | None = None) -> list[tuple[str, str]] | None:
    """Each file validated; what a document names in another (a group's calendar) is checked
    against the sla document among the files, else ``applied_sla``."""
    documents, typed, failed = [], [], False
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
            typed.append((path, text, kinds.validate(kind_of(path), text, str(path))))
        except (OSError, ConfigError) as error:
            print(f"refused {error}", file=sys.stderr)
            failed = True
            continue
        documents.append((kind_of(path), text))
    sla = next((t for p, _, t in typed if kind_of(p) == "sla"), applied_sla)
    for path, text, parsed in typed:
        try:
            kinds.check_references(kind_of(path), text, parsed, sla, str(path))
        except ConfigError as error:
            print(f"refused {error}", file=sys.stderr)
            failed = True
    return None if failed else documents


def run_validate(args: argparse.Namespace) -> int:
    documents = _check(args.files)
    if documents is None:
        return 1
    for path in args.files:
        print(f"ok {path}")
    return 0


def cli_principal(actor: str | None) -> Principal:
    """Who runs the CLI, as the audit log names them: ``cli:<user name>`` unless ``--actor``."""
    return Principal(actor or f"cli:{getpass.getuser()}", frozenset({Role.ADMIN}))


def run_apply(args: argparse.Namespace) -> int:
    from tessera import bootstrap
    from tessera.admin import audit

    deps = bootstrap.dependencies()
    documents = _check(args.files, deps.config().get("sla"))
    if documents is None:
        print("nothing applied", file=sys.stderr)
        return 1
    store = bootstrap.config_store()
    caller = cli_principal(args.actor)
    for kind, text in documents:
        current = store.current(kind)
        if current is not None and current.text == text:
            print(f"{kind}: unchanged (version {current.version})")
            continue
        stored = store.apply(
            kind, text, actor=caller.email, expected_version=current.version if current else 0
        )
        deps.config().forget(kind)
        # The same admin audit log as the admin center's applies (tessera.config.admin).
        audit.record(
            deps,
            caller,
            "config.applied",
            f"config:{kind}",
            before=f"v{current.version}" if current else "",
            after=f"v{stored.version}",
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

"""``tessera privacy export|erase EMAIL``: one requester's data, on the stack itself (AWS
credentials or --local), as the admin API's ``/api/admin/privacy/*`` routes do it."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("privacy", help="export or erase one requester's data")
    actions = parser.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="everything held about EMAIL, as JSON")
    export.add_argument("email")
    export.set_defaults(run=run_export)
    erase = actions.add_parser(
        "erase", help="redact EMAIL's messages, delete their files, keep the audit without them"
    )
    erase.add_argument("email")
    erase.add_argument(
        "--actor", default="system:privacy", help="who asked, for the audit (default: %(default)s)"
    )
    erase.set_defaults(run=run_erase)


def run_export(args: argparse.Namespace) -> int:
    from tessera import bootstrap
    from tessera.privacy.requester import export_requester

    held = export_requester(bootstrap.dependencies().tickets, bootstrap.archive(), args.email)
    json.dump(held, sys.stdout, ensure_ascii=False, indent=2, sort_keys=True)
    print()
    return 0


def run_erase(args: argparse.Namespace) -> int:
    from tessera import bootstrap
    from tessera.privacy.requester import erase_requester

    erasure = erase_requester(
        bootstrap.dependencies().tickets,
        bootstrap.archive(),
        bootstrap.attachments,
        args.email,
        actor=args.actor,
        raw_mail=bootstrap.dependencies().raw_mail,
    )
    print(
        f"erased {args.email.strip().lower()}: {erasure.tickets} tickets, {erasure.messages} "
        f"messages redacted, {erasure.files} files and {erasure.items} other items deleted, "
        f"{erasure.notifications} notifications redacted; now {erasure.alias}"
    )
    return 0

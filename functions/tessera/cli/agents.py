"""``tessera agents list|create``: staff accounts, over the HTTP API (admins only)."""

from __future__ import annotations

import argparse
from typing import Any

from tessera.cli.http import add_api_option, api_url, call, reports_api_errors, saved_token
from tessera.identity.access import GROUP_ROLES


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("agents", help="staff accounts (admins, after tessera login)")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="agents and admins with their groups")
    add_api_option(listing)
    listing.set_defaults(run=run_list)
    create = actions.add_parser(
        "create", help="create a staff account; the user pool mails its temporary password"
    )
    add_api_option(create)
    create.add_argument("email")
    create.add_argument("--group", choices=sorted(GROUP_ROLES), required=True)
    create.set_defaults(run=run_create)


@reports_api_errors
def run_list(args: argparse.Namespace) -> int:
    answer = call(api_url(args), "GET", "/api/admin/agents", token=saved_token())
    for agent in answer["items"]:
        state = agent["status"] if agent["enabled"] else "disabled"
        print(f"{agent['email']:<40} {','.join(agent['groups']):<14} {state}")
    return 0


@reports_api_errors
def run_create(args: argparse.Namespace) -> int:
    body = {"email": args.email, "group": args.group}
    agent = call(api_url(args), "POST", "/api/admin/agents", body, token=saved_token())
    print(
        f"created {agent['email']} in {','.join(agent['groups'])} ({agent['status']}); "
        "the temporary password is mailed to them"
    )
    return 0

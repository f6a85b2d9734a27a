"""``tessera tickets list|show``: the agents' views of tickets, over the HTTP API; ``tessera
tickets reindex``: on the stack itself, every ticket saved once onto the workspace's indexes."""

from __future__ import annotations

import argparse
from typing import Any

from tessera.cli.http import add_api_option, api_url, call, reports_api_errors, saved_token
from tessera.tickets.model import Status


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("tickets", help="list and read tickets (after tessera login)")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="a view of the tickets, newest first")
    add_api_option(listing)
    listing.add_argument(
        "--view",
        choices=[
            "all",
            "mine",
            "group",
            "unassigned",
            "pending",
            "breaching",
            "breached",
            "solved",
        ],
        default="all",
    )
    listing.add_argument("--group", help="the group, with --view group or unassigned")
    listing.add_argument(
        "--status",
        choices=[s.value for s in Status],
        help="one status (default: every ticket for --view all, new and open for the queues)",
    )
    listing.add_argument("--limit", type=int, default=25, help="tickets per page (1-100)")
    listing.add_argument("--cursor", help="the next page's cursor from a previous list")
    listing.set_defaults(run=run_list)
    show = actions.add_parser("show", help="one ticket with its thread")
    add_api_option(show)
    show.add_argument("ticket", metavar="ID|NUMBER")
    show.set_defaults(run=run_show)
    reindex = actions.add_parser(
        "reindex",
        help=(
            "save every ticket once, so tickets stored before the workspace's indexes appear in "
            "its views (AWS credentials, or --local; not over the API)"
        ),
    )
    reindex.set_defaults(run=run_reindex)


@reports_api_errors
def run_list(args: argparse.Namespace) -> int:
    query = {"view": args.view, "limit": str(args.limit)}
    if args.status:
        query["status"] = args.status
    if args.group:
        query["group"] = args.group
    if args.cursor:
        query["cursor"] = args.cursor
    page = call(api_url(args), "GET", "/api/tickets", token=saved_token(), query=query)
    if not page["items"]:
        what = f"{args.status} " if args.status else ""
        print(f"no {what}tickets in view {args.view}")
        return 0
    print(f"{'NUMBER':>7}  {'STATUS':<8} {'PRIORITY':<8} {'GROUP':<12} {'ASSIGNEE':<24} SUBJECT")
    for t in page["items"]:
        print(
            f"{t['number']:>7}  {t['status']:<8} {t['priority']:<8} {t['group'] or '-':<12} "
            f"{t['assignee'] or '-':<24} {t['subject']}"
        )
    if page.get("cursor"):
        print(f"more: --cursor {page['cursor']}")
    return 0


@reports_api_errors
def run_show(args: argparse.Namespace) -> int:
    ticket = call(api_url(args), "GET", f"/api/tickets/{args.ticket}", token=saved_token())
    print(f"#{ticket['number']} {ticket['subject']}")
    print(
        f"  status {ticket['status']}, priority {ticket['priority']}, "
        f"requester {ticket['requester']}, group {ticket['group'] or '-'}, "
        f"assignee {ticket['assignee'] or '-'}, version {ticket['version']}, id {ticket['id']}"
    )
    for message in ticket["messages"]:
        print(f"\n--- {message['kind']} · {message['author']} · {message['created_at']}")
        print(message["text"].rstrip())
        for attachment in message.get("attachments", []):
            print(f"  [attachment] {attachment['filename']} ({attachment['size']} bytes)")
    return 0


def run_reindex(args: argparse.Namespace) -> int:
    from tessera.bootstrap import dependencies
    from tessera.tickets.queue import reindex

    saved, skipped = reindex(dependencies())
    print(f"{saved} tickets saved onto the workspace's indexes, {skipped} changed meanwhile")
    return 0

"""``tessera login``: sign in as an agent or admin over the HTTP API and save the token."""

from __future__ import annotations

import argparse
import getpass
import os
from typing import Any

from tessera.cli.http import add_api_option, api_url, call, reports_api_errors, save_token


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "login",
        help="sign in (password from $TESSERA_PASSWORD or a prompt); saves the token",
    )
    add_api_option(parser)
    parser.add_argument("--email", help="your staff email (default: $TESSERA_EMAIL or a prompt)")
    parser.set_defaults(run=run_login)


@reports_api_errors
def run_login(args: argparse.Namespace) -> int:
    base = api_url(args)
    email = args.email or os.environ.get("TESSERA_EMAIL", "").strip() or input("Email: ").strip()
    password = os.environ.get("TESSERA_PASSWORD") or getpass.getpass("Password: ")
    answer = call(base, "POST", "/api/auth/login", {"email": email, "password": password})
    path = save_token(str(answer["token"]))
    print(f"signed in as {email.lower()} at {base}; token saved to {path}")
    return 0

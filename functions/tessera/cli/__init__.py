"""``tessera``: the operators' command line.

It works on a deployed stack (AWS credentials and the stack's resource names from the
environment, as the functions get them) or, with ``--local``, on the running local stack (which
writes its endpoint and names to ``.tessera-local/env.json``). Subcommands live in one module
each under ``tessera.cli``; :data:`COMMANDS` lists them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tessera.errors import TesseraError

# subcommand -> module defining ``register(subparsers)``; each registered parser sets ``run``.
COMMANDS = {
    "agents": "tessera.cli.agents",
    "config": "tessera.cli.config",
    "export": "tessera.cli.export",
    "import": "tessera.cli.importing",
    "kb": "tessera.cli.kb",
    "login": "tessera.cli.login",
    "mail": "tessera.cli.mail",
    "portal": "tessera.cli.portal",
    "privacy": "tessera.cli.privacy",
    "reports": "tessera.cli.reports",
    "routing": "tessera.cli.routing",
    "rules": "tessera.cli.rules",
    "search": "tessera.cli.search",
    "tickets": "tessera.cli.tickets",
}


def use_local_stack(data_dir: Path) -> None:
    """Point this process at the local stack's emulator and resource names."""
    env_file = data_dir / "env.json"
    if not env_file.is_file():
        raise SystemExit(f"tessera: {env_file} not found; is `make run` running?")
    os.environ.update(json.loads(env_file.read_text(encoding="utf-8")))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tessera", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--local",
        action="store_true",
        help="work on the running local stack (make run) instead of AWS",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("TESSERA_DATA_DIR", ".tessera-local")),
        help="the local stack's data directory (with --local)",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS.values():
        importlib.import_module(module).register(subparsers)
    args = parser.parse_args(argv)
    if args.local:
        use_local_stack(args.data_dir)
    try:
        code: int = args.run(args)
    except TesseraError as error:
        print(f"tessera: {error}", file=sys.stderr)
        return 1
    return code

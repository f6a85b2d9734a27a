"""The CLI's client of the HTTP API: where the API is, the saved sign-in, and errors as sentences.

The API is ``--api``, else ``$TESSERA_API_URL``, else the running local stack's (its
``env.json`` in ``--data-dir``). The token saved by ``tessera login`` lives in
``$TESSERA_TOKEN_FILE`` or ``~/.config/tessera/token``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

TIMEOUT_SECONDS = 30


class ApiError(Exception):
    """The API said no (or could not be reached); ``str()`` is the sentence a person reads."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def add_api_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api",
        metavar="URL",
        help="the API's base URL (default: $TESSERA_API_URL, or the running local stack's)",
    )


def api_url(args: argparse.Namespace) -> str:
    chosen = getattr(args, "api", None) or os.environ.get("TESSERA_API_URL", "").strip()
    if not chosen:
        env_file = Path(args.data_dir) / "env.json"
        if env_file.is_file():
            chosen = json.loads(env_file.read_text(encoding="utf-8")).get("TESSERA_API_URL", "")
    if not chosen:
        raise ApiError("name the API: --api URL or TESSERA_API_URL (or start it: make run)")
    return str(chosen).rstrip("/")


def token_file() -> Path:
    configured = os.environ.get("TESSERA_TOKEN_FILE", "").strip()
    return Path(configured) if configured else Path.home() / ".config" / "tessera" / "token"


def save_token(token: str) -> Path:
    path = token_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created private: the token is a credential for an hour.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(token + "\n")
    return path


def saved_token() -> str:
    path = token_file()
    token = path.read_text(encoding="utf-8").strip() if path.is_file() else ""
    if not token:
        raise ApiError(f"not signed in (no token in {path}): run `tessera login`")
    return token


def call(
    base: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    query: dict[str, str] | None = None,
) -> Any:
    """The JSON the API answered with; ApiError naming the field and problem otherwise."""
    url = base + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    if not url.startswith(("http://", "https://")):
        raise ApiError(f"{base} is not an http(s) URL")
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            raw = response.read()
    except urllib.error.HTTPError as error:
        raise _refusal(error.code, error.read()) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ApiError(f"cannot reach the API at {base}: {reason}") from None
    return json.loads(raw) if raw.strip() else None


def _refusal(status: int, raw: bytes) -> ApiError:
    try:
        error = json.loads(raw)["error"]
        message = str(error["message"])
        if error.get("field"):
            message = f"{error['field']}: {message}"
    except (ValueError, KeyError, TypeError):
        message = raw.decode("utf-8", "replace").strip()[:200] or "no details"
    if status == 401:
        message += " (sign in again: `tessera login`)"
    return ApiError(f"{message} (HTTP {status})", status=status)


def reports_api_errors(run: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    """A command that prints the API's refusal as one line on stderr and exits 1."""

    @functools.wraps(run)
    def guarded(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except ApiError as error:
            print(f"tessera: {error}", file=sys.stderr)
            return 1

    return guarded

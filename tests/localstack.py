"""Start and stop the local stack in a subprocess, for integration and browser tests."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from tessera_local.forked import CHILD_NAME

READY = "Tessera local stack ready"
PASSWORD = "Local-test-pass-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    http_port: int
    smtp_port: int
    data_dir: Path
    ready_line: str
    output: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(  # noqa: S310 - loopback only
            self.url + path, data=data, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            raw, status = error.read(), error.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    def environment(self) -> dict[str, str]:
        """What the stack wrote for ``tessera --local``: the emulator and the resource names."""
        env: dict[str, str] = json.loads((self.data_dir / "env.json").read_text(encoding="utf-8"))
        return env

    def client(self, service: str) -> Any:
        """A boto3 client on the stack's emulator."""
        import boto3

        env = self.environment()
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name=env["AWS_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )

    def cli(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        """``tessera --local ...`` against this stack."""
        return subprocess.run(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "tessera.cli",
                "--local",
                "--data-dir",
                str(self.data_dir),
                *arguments,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def login(self, email: str = "admin@example.com", password: str = PASSWORD) -> str:
        status, body = self.request(
            "POST", "/api/auth/login", {"email": email, "password": password}
        )
        assert status == 200, body
        return str(body["token"])


def start_stack(
    data_dir: Path,
    *,
    fresh: bool = False,
    demo: bool = False,
    timeout: float = 90,
    settings: dict[str, str] | None = None,
) -> RunningStack:
    """A stack in a process of its own; ``settings``: more ``TESSERA_*`` variables for it."""
    http_port, smtp_port = free_port(), free_port()
    env = {
        **os.environ,
        "TESSERA_HTTP_PORT": str(http_port),
        "TESSERA_SMTP_PORT": str(smtp_port),
        "TESSERA_DATA_DIR": str(data_dir),
        "TESSERA_FRESH": "1" if fresh else "0",
        "TESSERA_DEMO": "1" if demo else "0",
        "TESSERA_LOCAL_PASSWORD": PASSWORD,
        "TZ": "UTC",
        **(settings or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tessera_local"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        if line.startswith(READY):
            return RunningStack(process, http_port, smtp_port, data_dir, line.strip(), output)
    process.kill()
    raise RuntimeError("local stack did not start:\n" + "".join(output[-60:]))


def stop_stack(stack: RunningStack) -> None:
    stack.process.send_signal(signal.SIGTERM)
    try:
        stack.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        stack.process.kill()
        stack.process.wait()


def load_mail(run: str, index: int) -> EmailMessage:
    """Mail ``index`` of a load run: its own sender, and a subject unique to the run
    (``Load <run> n<index, 5 digits> ...``) that the acknowledgement repeats."""
    message = EmailMessage()
    message["From"] = f"Customer {index} <c{index}.{run}@load.test>"
    message["To"] = "support@example.com"
    message["Subject"] = f"Load {run} n{index:05d} cannot sign in"
    message["Message-ID"] = f"<{uuid.uuid4()}@load.test>"
    message.set_content(f"Hello,\n\nmail {index} of a load run: I cannot sign in.\n\nThanks")
    return message


def acknowledged(stack: RunningStack, run: str) -> int:
    """How many of a load run's senders (:func:`load_mail`) got their acknowledgement (agents'
    notifications, which repeat the subject too, are not counted)."""
    _status, outbox = stack.request("GET", "/_local/outbox")
    return len(
        {
            tuple(mail["to"])
            for mail in outbox
            if f"Load {run} n" in mail["subject"]
            and all(f".{run}@load.test" in address for address in mail["to"])
        }
    )


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it (the stack and its worker processes)."""
    found, at = [pid], 0
    while at < len(found):
        for task in Path(f"/proc/{found[at]}/task").glob("*"):
            with contextlib.suppress(OSError):
                found += [int(child) for child in (task / "children").read_text().split()]
        at += 1
    return found


def pss_bytes(pid: int) -> int:
    """The memory a process and the processes below it hold: their proportional set size,
    shared pages divided among the processes sharing them (``/proc/<pid>/smaps_rollup``)."""
    total = sum(pss_by_process(pid).values())
    if total == 0:
        raise RuntimeError(f"no Pss line for process {pid}")
    return total


def pss_by_process(pid: int, *, settle: float = 60.0) -> dict[int, int]:
    """:func:`pss_bytes` of each process of the tree, by process id (those that ended meanwhile,
    a worker replaced, left out). A snapshot being written by a forked child of the stack
    (``tessera_local.forked``) is waited for, up to ``settle`` seconds: while it lives it shares
    the stack's pages (each counted half to each) and holds copies of some, a passing figure
    that is neither's."""
    wait_for(
        lambda: not any(_name(member) == CHILD_NAME for member in process_tree(pid)),
        timeout=settle,
        interval=0.05,
    )
    found = {}
    for member in process_tree(pid):
        try:
            lines = Path(f"/proc/{member}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        found[member] = next(
            int(line.split()[1]) * 1024 for line in lines if line.startswith("Pss:")
        )
    return found


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def wait_for(predicate: Any, *, timeout: float, interval: float = 0.2) -> Any:
    """Poll ``predicate`` until it returns something truthy; the value, or None on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


def magic_link_token(stack: RunningStack, email: str) -> str:
    """Ask for a sign-in link and read its token from the mail the stack sent."""
    status, _ = stack.request("POST", "/api/auth/magic-link", {"email": email})
    assert status == 202

    def link() -> str | None:
        _status, outbox = stack.request("GET", "/_local/outbox")
        for mail in reversed(outbox):
            if mail["to"] == [email] and "signin.html#token=" in mail["text"]:
                return unquote(re.search(r"#token=([^&\s]+)", mail["text"]).group(1))
        return None

    token = wait_for(link, timeout=5)
    assert token, f"no sign-in mail for {email}"
    return token


def customer_session(stack: RunningStack, email: str) -> str:
    status, body = stack.request(
        "POST", "/api/auth/session", {"token": magic_link_token(stack, email)}
    )
    assert status == 200, body
    return str(body["token"])

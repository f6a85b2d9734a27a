"""``tessera login``, ``tickets`` and ``agents`` over the HTTP API of a started local stack, run
as a person runs them: a subprocess, the password from the environment, the token in a file."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.localstack import PASSWORD, RunningStack, customer_session

pytestmark = pytest.mark.integration


def tessera(
    stack: RunningStack, token_file: Path, *args: str, password: str = PASSWORD
) -> subprocess.CompletedProcess[str]:
    """The CLI with only the local stack's data directory to find the API by."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env |= {"TESSERA_TOKEN_FILE": str(token_file), "TESSERA_PASSWORD": password}
    return subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "tessera.cli", "--data-dir", str(stack.data_dir), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_login_then_list_and_show_a_ticket(stack: RunningStack, tmp_path: Path) -> None:
    # Given a customer's ticket
    subject = f"CLI printer {uuid.uuid4().hex[:6]}"
    customer = customer_session(stack, "cli.customer@customer.test")
    status, ticket = stack.request(
        "POST", "/api/tickets", {"subject": subject, "body": "Paper jam."}, token=customer
    )
    assert status == 201
    token_file = tmp_path / "token"

    # When an agent signs in (the API found through the stack's env.json) and lists new tickets
    login = tessera(stack, token_file, "login", "--email", "alice@example.com")
    listed = tessera(stack, token_file, "tickets", "list", "--status", ticket["status"])
    shown = tessera(stack, token_file, "tickets", "show", str(ticket["number"]))

    # Then the token is saved privately, and the list and the thread show the ticket
    assert login.returncode == 0, login.stderr
    assert "signed in as alice@example.com" in login.stdout
    assert token_file.read_text().count(".") == 2  # a JWT
    assert token_file.stat().st_mode & 0o077 == 0
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if subject in line)
    assert row.split()[:2] == [str(ticket["number"]), ticket["status"]]
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"#{ticket['number']} {subject}\n")
    assert "Paper jam." in shown.stdout


def test_errors_are_sentences_naming_the_field(stack: RunningStack, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    # Before signing in
    unsigned = tessera(stack, token_file, "tickets", "list")
    assert (unsigned.returncode, unsigned.stdout) == (1, "")
    assert f"not signed in (no token in {token_file})" in unsigned.stderr
    # A wrong password
    wrong = tessera(stack, token_file, "login", "--email", "alice@example.com", password="nope")
    assert wrong.returncode == 1
    assert wrong.stderr.strip() == (
        "tessera: wrong email or password (sign in again: `tessera login`) (HTTP 401)"
    )
    assert not token_file.exists()
    # A refusal that names its field
    assert tessera(stack, token_file, "login", "--email", "alice@example.com").returncode == 0
    no_group = tessera(stack, token_file, "tickets", "list", "--view", "group")
    assert no_group.returncode == 1
    assert no_group.stderr.strip() == "tessera: group: is required for view=group (HTTP 400)"
    # And a stack that is not there
    gone = tessera(stack, token_file, "tickets", "list", "--api", "http://127.0.0.1:9")
    assert gone.returncode == 1
    assert "cannot reach the API at http://127.0.0.1:9" in gone.stderr


def test_admin_creates_an_agent_and_an_agent_may_not(stack: RunningStack, tmp_path: Path) -> None:
    admin_token, agent_token = tmp_path / "admin", tmp_path / "agent"
    email = f"cli.{uuid.uuid4().hex[:8]}@example.com"
    assert tessera(stack, admin_token, "login", "--email", "admin@example.com").returncode == 0
    assert tessera(stack, agent_token, "login", "--email", "bahram@example.com").returncode == 0

    # When an admin creates an agent
    created = tessera(stack, admin_token, "agents", "create", email, "--group", "agents")
    # Then it is reported and listed with its group
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith(f"created {email} in agents (FORCE_CHANGE_PASSWORD)")
    listed = tessera(stack, admin_token, "agents", "list")
    assert [line.split()[:2] for line in listed.stdout.splitlines() if email in line] == [
        [email, "agents"]
    ]
    # And the same email again, a malformed one, or an agent asking, are refused readably
    again = tessera(stack, admin_token, "agents", "create", email, "--group", "admins")
    assert again.stderr.strip() == f"tessera: {email} already has a staff account (HTTP 409)"
    malformed = tessera(stack, admin_token, "agents", "create", "not-an-email", "--group", "agents")
    assert (malformed.returncode, malformed.stderr.split(":")[:2]) == (1, ["tessera", " email"])
    refused = tessera(stack, agent_token, "agents", "create", f"x{email}", "--group", "agents")
    assert refused.stderr.strip() == "tessera: admin only (HTTP 403)"

"""Fixtures shared by every test tier.

``stack`` is the one local stack the integration and browser tests share (session-scoped: one
start per run). Tests on it make their own data (their own addresses, subjects, tickets) and
never assume the stack is empty. A test that needs a stack of its own (other settings, a
restart, hostile traffic) starts one with :func:`tests.localstack.start_stack`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import moto
import pytest

from tessera_local.provision import create_tables
from tessera_local.template import Template
from tests.factories import REPO_KB
from tests.localstack import RunningStack, start_stack, stop_stack


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """In-process AWS (moto) with fake credentials: never a real account, never the local stack;
    with DynamoDB's rules moto does not keep (tessera_local.dynamodb_rules)."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    for name in ("AWS_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    from tessera_local import dynamodb_rules

    # What DynamoDB refuses and moto lets through is refused in every test too.
    for owner, name, replacement in dynamodb_rules.replacements():
        monkeypatch.setattr(owner, name, replacement)
    with moto.mock_aws():
        yield


@pytest.fixture
def moto_as_local(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process moto with the local stack's replacements of its costs
    (tessera_local.moto_costs), undone after the test."""
    from tessera_local import moto_costs

    for owner, name, replacement in moto_costs.replacements():
        monkeypatch.setattr(owner, name, replacement)


@pytest.fixture
def tickets_table(aws: None) -> str:
    """The tickets table exactly as template.yaml declares it (keys and indexes); its name."""
    template = Template.load()
    create_tables(template, boto3.client("dynamodb"))
    return str(template.ref("TicketsTable"))


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """A copy of the repository's kb/ that a test may change."""
    return Path(shutil.copytree(REPO_KB, tmp_path / "kb"))


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The shared local stack: fresh data, no demo mail, the test password for the demo staff."""
    running = start_stack(tmp_path_factory.mktemp("stack"), fresh=True)
    yield running
    stop_stack(running)

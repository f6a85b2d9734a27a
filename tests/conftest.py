"""Fixtures shared by every test tier."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import moto
import pytest

from tessera_local.provision import create_tables
from tessera_local.template import Template


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """In-process AWS (moto) with fake credentials: never a real account, never the local stack."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    for name in ("AWS_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    with moto.mock_aws():
        yield


@pytest.fixture
def tickets_table(aws: None) -> str:
    """The tickets table exactly as template.yaml declares it (keys and indexes); its name."""
    template = Template.load()
    create_tables(template, boto3.client("dynamodb"))
    return str(template.ref("TicketsTable"))

"""Schemathesis against the local stack: generated requests for every operation in
/api/openapi.json find no server error and no response that breaks the document.

Two checks are left out, on purpose: ``positive_data_acceptance`` (a schema-valid request may
rightly be refused: an opaque cursor from nowhere, a ticket id that does not exist, a stale
If-Match) and ``unsupported_method`` (API Gateway answers an undeclared method with 403 "Missing
Authentication Token", not 405, and the local stack answers as API Gateway does)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.localstack import RunningStack, customer_session, start_stack, stop_stack

pytestmark = pytest.mark.integration

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("fuzz"), fresh=True)
    yield running
    stop_stack(running)


@pytest.mark.parametrize("who", ["admin", "customer"])
def test_generated_requests_find_no_server_error_or_schema_violation(
    stack: RunningStack, who: str, tmp_path: Path
) -> None:
    token = stack.login() if who == "admin" else customer_session(stack, "fuzz@customer.test")
    result = subprocess.run(  # noqa: S603 - our own tool, fixed arguments
        [
            str(SCHEMATHESIS),
            "run",
            f"{stack.url}/api/openapi.json",
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance,unsupported_method",
            "--max-examples",
            "10",
            "--max-time",
            "75",
            "--seed",
            "20261122",
            "--header",
            f"Authorization: Bearer {token}",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    summary = result.stdout[-4000:]
    assert result.returncode == 0, summary
    assert "passed" in summary

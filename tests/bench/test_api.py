"""bench/api.py runs, measures every route it names, and finds no list route off its one Query."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tessera_local.template import ROOT

pytestmark = pytest.mark.bench


def test_api_bench_prints_calls_per_route_and_flags_nothing() -> None:
    # When the benchmark runs once per route
    result = subprocess.run(
        [sys.executable, "-m", "bench.api", "--runs", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    # Then it exits 0 with the GetItem baseline, and each list route made one Query and no Scan
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith("bare dynamodb GetItem"), result.stdout
    list_rows = [line for line in lines if line.endswith("[list]")]
    assert len(list_rows) == 5, result.stdout
    assert all("dynamodb:Query 1" in row and "Scan" not in row for row in list_rows)
    assert lines[-1] == "0 route(s) flagged", result.stdout

"""bench/local_load.py runs small against a fresh stack and prints every figure it promises
(the figures themselves are not checked: measurements are not tests)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tessera_local.template import ROOT

pytestmark = pytest.mark.bench

SMALL = ("--mails", "6", "--connections", "2", "--idle", "1", "--timeout", "120")


def test_local_load_bench_prints_rates_latencies_memory_and_data_size() -> None:
    # When the benchmark sends 6 mails over 2 connections to a fresh stack
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.local_load", *SMALL],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    # Then it exits 0, every mail was accepted and acknowledged, and each figure is printed
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()

    def line(start: str) -> str:
        found = [entry for entry in lines if entry.split("  ")[0] == start]
        assert len(found) == 1, result.stdout
        return found[0]

    assert line("accepted").split()[1] == "6", result.stdout
    assert line("routed + acknowledged").split()[3] == "6", result.stdout
    assert "p95" in line("accept -> acknowledged")
    assert "caught up" in line("search and reports"), result.stdout
    for figure in ("PSS before", "PSS after", "PSS after idle", "data directory"):
        assert " MiB" in line(figure), result.stdout

"""bench/privacy.py runs and prints its figures: the calls of export, erase and a second erase
on two table sizes (the figures themselves are not checked)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tessera_local.template import ROOT

pytestmark = pytest.mark.bench


def test_privacy_bench_prints_calls_per_table_size() -> None:
    # When the benchmark runs small
    result = subprocess.run(
        [sys.executable, "-m", "bench.privacy", "--tickets", "2", "--others", "4"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # Then it prints each operation's calls for both tables, and the totals
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "table of 4 vs 16 other tickets" in out
    for name in ("export:", "erase:", "erase again:"):
        assert name in out
    assert "dynamodb:Query" in out
    assert "items read by Queries" in out
    assert out.count("total calls:") == 3

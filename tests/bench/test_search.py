"""bench/search.py runs and prints its figures: build time and size at both sizes, latency per
query kind, query cost at both sizes with the ratio, the write cost per changed ticket next to
an inverted index in DynamoDB, and $ per 1,000 tickets (the figures themselves are not checked)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tessera_local.template import ROOT

pytestmark = pytest.mark.bench


def test_search_bench_prints_build_query_write_and_cost_figures() -> None:
    # Given a small corpus, When the benchmark runs
    result = subprocess.run(
        [sys.executable, "-m", "bench.search", "--tickets", "300", "--runs", "5", "--puts", "10"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # Then every promised figure is printed
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "build    300 tickets:" in out
    assert "build     30 tickets:" in out
    for kind in ("rare", "common", "prefix"):
        assert f"  {kind:<7}" in out
    assert out.count(" p95 ") == 3
    assert out.count("ratio ") == 3
    assert "a cold container fetches the index once" in out
    assert "x dynamodb:Query" in out
    assert "x s3:PutObject" in out
    assert "an inverted index in DynamoDB instead:" in out
    assert "$ per 1,000 tickets for indexing" in out

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

    # And each view's page and count are one Query each, reading as much before the table grew
    # as after (the second table has 60 tickets more, in none of the views)
    views = [line.split() for line in lines if line.startswith("view ")]
    first, second = views[: len(views) // 2], views[len(views) // 2 :]
    assert [v[1] for v in first] == [v[1] for v in second]
    assert {"mine", "unassigned", "pending", "breaching", "breached", "solved", "all"} <= {
        v[1] for v in first
    }
    for before, after in zip(first, second, strict=True):
        tickets, page_q, page_read, returned, count_q = before[2:7]
        assert int(after[2]) == int(tickets) + 60, (before, after)
        assert (page_q, count_q) == ("1", "1"), before
        assert int(page_read) <= 10, before
        assert int(returned) <= int(page_read), before
        assert after[4:] == before[4:], (before, after)  # what it reads follows the view

"""bench/rules_simulation.py runs and prints its figures: the calls follow the window, not the
table, and the cap stops the replay."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tessera_local.template import ROOT

pytestmark = pytest.mark.bench


def test_simulation_bench_prints_calls_that_follow_the_window() -> None:
    # When the benchmark runs on a small table
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.rules_simulation",
            "--window",
            "6",
            "--older",
            "20",
            "--cap",
            "3",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # Then it prints three runs
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if "replayed" in line]
    assert len(rows) == 3, result.stdout
    figures = [dict(re.findall(r"(replayed|Query|capped)\s+(\w+)", row)) for row in rows]
    # And the older tickets add no call, and the cap stops the replay
    assert figures[0] == figures[1] == {"replayed": "6", "capped": "False", "Query": "7"}
    assert figures[2] == {"replayed": "3", "capped": "True", "Query": "4"}

"""bench/reports.py runs, prints its figures, and a dashboard load makes the same calls at both
small table sizes and reads within its bound (hours x dimension values, never tickets); a burst of
new tickets counted as one batch writes fewer items a ticket than counted one at a time."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tessera_local.template import ROOT

pytestmark = pytest.mark.bench


def test_reports_bench_prints_its_figures_and_the_calls_stay_flat() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.reports",
            "--small",
            "50",
            "--large",
            "300",
            "--lifecycles",
            "2",
            "--burst",
            "12",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "per change:" in out
    assert "$ per 1,000 tickets" in out
    loads = [line for line in out.splitlines() if line.startswith("dashboard load at")]
    assert len(loads) == 2
    assert loads[0].split(":", 1)[1].split(",")[0] == loads[1].split(":", 1)[1].split(",")[0]
    assert "a load reads within the bound" in out
    # a burst counted together writes fewer items a ticket than one ticket at a time
    alone, together = (
        float(line.split(":", 1)[1].split(" items")[0])
        for line in out.splitlines()
        if line.startswith(("  one by one:", "  together  :"))
    )
    assert together < alone

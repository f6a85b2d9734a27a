"""bench/console.py runs: each loaded script and style with its size, the page-weight goal's
verdict and the first-render timing with its goal (the figures themselves are not checked)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tessera_local.template import ROOT

pytestmark = pytest.mark.bench


def test_console_bench_prints_its_weight_and_first_render() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.console", "--tickets", "25", "--runs", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    for name in ("console/strings.js", "assets/vendor/htm-preact.js", "console/console.css"):
        assert name in out, out
    assert "goal: JS + CSS under 153,600 bytes:" in out
    assert "first render of a 25-ticket view (2 runs): median ms" in out
    assert "goal: median first render under 300 ms:" in out

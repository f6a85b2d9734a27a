"""bench/portal.py runs: a row per page with its requests and bytes, the page-weight goal's
verdict, and the search timings (the figures themselves are not checked)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tessera_local.template import ROOT

pytestmark = pytest.mark.bench


def test_portal_bench_prints_page_weights_the_goal_and_search_timings() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.portal"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    for page in ("home /", "KB article (fa)", "new ticket", "my tickets", "ticket (signed in)"):
        assert page in out, out
    assert "goal: every page under 102,400 bytes:" in out
    assert "median ms" in out

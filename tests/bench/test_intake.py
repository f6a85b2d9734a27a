"""bench/intake.py runs and prints its figures: both rates, the ratio, the AWS calls per new
ticket and per reply with the reason of each (the figures themselves are not checked)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tessera_local.template import ROOT

pytestmark = pytest.mark.bench


def test_intake_bench_prints_rates_ratio_and_justified_aws_calls() -> None:
    # Given a small generated corpus, When the benchmark runs
    result = subprocess.run(
        [sys.executable, "-m", "bench.intake", "--mails", "16"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    # Then it prints both rates, the ratio, and each AWS call with why it is made
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "stdlib email parse :" in out
    assert "tessera intake     :" in out
    assert "overhead ratio" in out
    assert "AWS calls per new ticket (1 attachment):" in out
    assert "AWS calls per reply:" in out
    assert "1 x dynamodb:TransactWriteItems" in out
    assert "1 x s3:PutObject" in out
    call_lines = [line for line in out.splitlines() if " x " in line]
    assert call_lines
    assert all(len(line.split(None, 3)) == 4 for line in call_lines), "a call without a reason"

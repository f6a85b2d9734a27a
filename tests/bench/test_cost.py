"""bench/cost.py runs small on a local stack of its own and prints every figure: the AWS calls
per ticket, Lambda invocations, state transitions, $ per 1,000 tickets by service (Standard and
Express routing), the idle month, the console's polling per agent-hour, and the three closing
lines tools read (the figures themselves are not checked: measurements are not tests)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tessera_local.template import ROOT

pytestmark = pytest.mark.bench

CLOSING = (
    r"all-in: \$(\d+\.\d{3}) per 1,000 tickets",
    r"without SES: \$(\d+\.\d{3}) per 1,000 tickets",
    r"idle: \$(\d+\.\d{2}) per month",
)


def test_cost_bench_prints_every_figure_and_ends_with_the_three_lines() -> None:
    # Given a small run: two mail lifecycles, one breach, one portal ticket
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.cost",
            "--tickets",
            "2",
            "--breaches",
            "1",
            "--portal",
            "1",
            "--idle-seconds",
            "6",
            "--polls",
            "2",
            "--as-standard",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    # Then it ran, counted the calls each function made and what they cost
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "4 tickets" in out
    for heading in (
        "AWS calls per ticket",
        "$ per 1,000 tickets by service:",
        "$ per 1,000 tickets with every state machine Standard:",
        "AWS calls per month idle",
        "$ per month idle:",
        "console polling, per poll:",
        "$ per agent-hour of polling",
    ):
        assert heading in out, heading
    for counted in (
        "x dynamodb:TransactWriteItems",
        "x lambda:IntakeFunction",
        "x lambda:SlaSweepFunction",
        "x stepfunctions:execution",
        "state transitions",
        "ses_messages_out",
        "ses_messages_in",
        "dynamodb_write_units",
        "log bytes",
    ):
        assert counted in out, counted
    for service in ("Lambda duration (arm64)", "DynamoDB (on-demand)", "Step Functions"):
        assert re.search(rf"{re.escape(service)} +\$ *\d+\.\d{{4}} / 1k", out), service
    for poll in ("queue changes (15 s)", "notifications (30 s)", "presence (10 s)"):
        assert poll in out

    # And it ends with the three lines, in exactly their form, with figures that add up
    last = out.strip().splitlines()[-3:]
    figures = []
    for pattern, line in zip(CLOSING, last, strict=True):
        match = re.fullmatch(pattern, line)
        assert match, f"{line!r} is not {pattern!r}"
        figures.append(float(match.group(1)))
    all_in, without_ses, idle = figures
    assert 0 < without_ses < all_in
    assert idle > 0

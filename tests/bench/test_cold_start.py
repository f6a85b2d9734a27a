"""bench/cold_start.py prints a row for every handler in template.yaml (figures are not checked)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tessera_local.template import ROOT, Template

pytestmark = pytest.mark.bench

BENCH = ROOT / "bench" / "cold_start.py"


def test_cold_start_bench_prints_a_row_per_handler_and_the_boto3_baseline() -> None:
    # Given the handlers template.yaml names
    template = Template.load()
    handlers = [
        template.function_properties(logical_id)["Handler"]
        for logical_id in template.of_type("AWS::Serverless::Function")
    ]

    # When the benchmark runs once per handler
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(BENCH), "--runs", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    # Then it exits 0 and its table has the baseline and exactly one row per handler
    assert result.returncode == 0, result.stderr
    first_words = [line.split(" ", 1)[0] for line in result.stdout.splitlines()]
    assert first_words.count("boto3") == 1, result.stdout
    assert {handler: first_words.count(handler) for handler in handlers} == dict.fromkeys(
        handlers, 1
    ), result.stdout

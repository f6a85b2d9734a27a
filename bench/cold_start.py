"""Cold-start import cost of every Lambda handler in template.yaml, against a bare ``import boto3``.

A Lambda cold start is dominated by imports. For each Handler in template.yaml this imports its
module in a fresh interpreter, ``--runs`` times, and prints the median next to the median of a
bare ``import boto3`` measured the same way in the same run. The goal is a ratio of at most 1.5.
The goal is about the module import. What a handler defers to its first call (boto3, the storage
library, the logger, the JWT library) is paid by that first invocation instead, so a second
column times the import followed by those deferred imports (``FIRST_CALL_IMPORTS``): the whole
import cost of a cold start, before any network call.

Each child interpreter runs isolated (``-I``), with no AWS configuration (no ``AWS_*`` variables,
an empty HOME) and none of the function's environment variables, as the handler-import test in
tests/unit/test_template.py does: a handler must import without them. One untimed warm-up import
per module comes first, so bytecode compilation is not counted.

Run it with ``make bench``, or ``.venv/bin/python bench/cold_start.py --runs 9``. It is a
measurement, not a test: it always exits 0, and prints ``GOAL MISSED`` when a handler's ratio is
above the goal (or its import fails).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass

from tessera_local.template import Template

GOAL_RATIO = 1.5
BASELINE = "boto3"

# Prints how long importing the modules named on the command line takes, in milliseconds.
_TIMED_IMPORT = """
import importlib, sys, time
start = time.perf_counter()
for name in sys.argv[1:]:
    importlib.import_module(name)
print((time.perf_counter() - start) * 1000)
"""

# What each handler imports lazily on its first invocation (see tessera.bootstrap).
_EVERY_HANDLER = ("boto3", "tessera.adapters.dynamodb.tickets", "tessera.adapters.clients")
FIRST_CALL_IMPORTS = {
    "api.app": (*_EVERY_HANDLER, "tessera.adapters.cognito", "jwt"),
    "intake.app": (*_EVERY_HANDLER, "tessera.adapters.s3", "aws_lambda_powertools.logging"),
    "routing.app": (*_EVERY_HANDLER, "tessera.adapters.ses"),
    "sla_sweep.app": (
        *_EVERY_HANDLER,
        "tessera.adapters.stepfunctions",
        "aws_lambda_powertools.logging",
    ),
    "escalation.app": (*_EVERY_HANDLER, "tessera.adapters.ses", "tessera.adapters.sns"),
}


@dataclass
class Target:
    """One row of the table: what is imported, and the environment it is imported without."""

    label: str
    module: str
    withheld_variables: frozenset[str]
    timings_ms: list[float]
    error: str = ""
    deferred: tuple[str, ...] = ()
    first_call_ms: list[float] | None = None

    @property
    def median_ms(self) -> float:
        return statistics.median(self.timings_ms)

    @property
    def first_call_median_ms(self) -> float | None:
        return statistics.median(self.first_call_ms) if self.first_call_ms else None


def handler_targets(template: Template) -> list[Target]:
    """A target per function of the template, named by its Handler."""
    targets = []
    for logical_id in sorted(template.of_type("AWS::Serverless::Function")):
        properties = template.function_properties(logical_id)
        handler = properties["Handler"]
        variables = properties.get("Environment", {}).get("Variables", {})
        module = handler.rpartition(".")[0]
        deferred = FIRST_CALL_IMPORTS.get(module, _EVERY_HANDLER)
        targets.append(
            Target(handler, module, frozenset(variables), [], deferred=deferred, first_call_ms=[])
        )
    return targets


def unconfigured_environment(withheld: Iterable[str], home: str) -> dict[str, str]:
    """This process's environment without AWS configuration or the withheld variables."""
    removed = set(withheld)
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_") and name not in removed
    }
    environment["HOME"] = home
    return environment


def time_import(target: Target, home: str, *, with_deferred: bool = False) -> float | None:
    """Milliseconds to import the target's module (and, ``with_deferred``, what its first call
    imports) in a fresh interpreter, or None on failure."""
    modules = [target.module, *(target.deferred if with_deferred else ())]
    result = subprocess.run(
        [sys.executable, "-I", "-c", _TIMED_IMPORT, *modules],
        env=unconfigured_environment(target.withheld_variables, home),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        target.error = lines[-1] if lines else f"exit status {result.returncode}"
        return None
    return float(result.stdout.strip().splitlines()[-1])


def measure(targets: list[Target], runs: int) -> None:
    """Fill each target's timings; runs are interleaved so drift affects every row alike."""
    with tempfile.TemporaryDirectory(prefix="tessera-bench-") as home:
        for target in targets:
            time_import(target, home)  # warm-up: compile bytecode, fill the page cache
        for _ in range(runs):
            for target in targets:
                if target.error:
                    continue
                elapsed = time_import(target, home)
                if elapsed is not None:
                    target.timings_ms.append(elapsed)
                if target.first_call_ms is not None:
                    whole = time_import(target, home, with_deferred=True)
                    if whole is not None:
                        target.first_call_ms.append(whole)


def report(baseline: Target, handlers: list[Target], runs: int) -> list[str]:
    """The table's lines, then the verdict."""
    width = max(len(t.label) for t in [baseline, *handlers])
    lines = [
        f"Import time in a fresh interpreter, median of {runs} run(s), no AWS configuration",
        f"{'handler':<{width}}  {'median ms':>10}  {'x boto3':>8}  {'goal':>6}"
        f"  {'+ first-call imports ms':>24}",
    ]
    if baseline.error:
        lines.append(f"{baseline.label:<{width}}  import failed: {baseline.error}")
        lines.append("GOAL MISSED: the boto3 baseline could not be measured")
        return lines
    lines.append(f"{baseline.label:<{width}}  {baseline.median_ms:>10.1f}  {1:>8.2f}  {'base':>6}")
    missed = []
    for target in handlers:
        if target.error:
            lines.append(f"{target.label:<{width}}  import failed: {target.error}")
            missed.append(f"{target.label} (import failed)")
            continue
        ratio = target.median_ms / baseline.median_ms
        verdict = "met" if ratio <= GOAL_RATIO else "MISSED"
        figures = f"{target.median_ms:>10.1f}  {ratio:>8.2f}"
        whole = target.first_call_median_ms
        whole_text = f"{whole:>24.1f}" if whole is not None else f"{'n/a':>24}"
        lines.append(f"{target.label:<{width}}  {figures}  {verdict:>6}  {whole_text}")
        if ratio > GOAL_RATIO:
            missed.append(f"{target.label} ({ratio:.2f}x)")
    if missed:
        lines.append(f"GOAL MISSED (ratio to boto3 above {GOAL_RATIO}): {', '.join(missed)}")
    else:
        lines.append(f"Goal met: every handler imports within {GOAL_RATIO}x a bare import boto3.")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table, and exit 0 whatever the figures are."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per handler")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    baseline = Target(f"{BASELINE} (baseline)", BASELINE, frozenset(), [])
    handlers = handler_targets(Template.load())
    measure([baseline, *handlers], args.runs)
    print("\n".join(report(baseline, handlers, args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

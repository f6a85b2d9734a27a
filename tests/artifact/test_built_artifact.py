"""The artifact `sam build` made (``make sam-build``, which ``make test`` runs first) is what
Lambda will run: every Handler the template names imports from it under Python 3.12.

The artifact is built for the template's architecture (arm64); on another machine its compiled
extensions come from ``.aws-sam/host-site`` (the same pins, for this machine) and nothing else
does: every line of Python is the artifact's (infra/deploy/import_handler.py).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tessera_local.template import ROOT, Template

TEMPLATE = Template.load()
FUNCTIONS = sorted(TEMPLATE.of_type("AWS::Serverless::Function"))
BUILD_DIR = ROOT / ".aws-sam" / "build"
HOST_SITE = ROOT / ".aws-sam" / "host-site"
RUNTIME = TEMPLATE.body["Globals"]["Function"]["Runtime"]
ARCHITECTURES = TEMPLATE.body["Globals"]["Function"]["Architectures"]
ELF_MACHINE = {"arm64": 183, "x86_64": 62}


def _python312() -> str:
    found = subprocess.run(  # noqa: S603 - our own script
        [str(ROOT / "infra" / "deploy" / "python312.sh")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    return found.stdout.strip()


def _built(logical_id: str) -> Path:
    function_dir = BUILD_DIR / logical_id
    assert function_dir.is_dir(), f"{function_dir} is missing: run `make sam-build` first"
    return function_dir


def test_the_template_asks_for_the_runtime_the_smoke_test_uses() -> None:
    # Given the template's runtime, and the interpreter the build and this test use
    version = subprocess.run(  # noqa: S603 - an interpreter we found
        [_python312(), "-c", "import sys; print('python%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    # Then they are the same Python
    assert version == RUNTIME == "python3.12"


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_built_handler_imports_under_the_lambda_runtime(logical_id: str, tmp_path: Path) -> None:
    # Given the function's built directory and its Handler, and an environment with no AWS
    # configuration and none of its variables (a cold start reads them on the first call only)
    function_dir = _built(logical_id)
    module_name, _, attribute = TEMPLATE.function_properties(logical_id)["Handler"].rpartition(".")
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8"}

    # When Python 3.12 imports it from there, isolated from this checkout and its .venv
    result = subprocess.run(  # noqa: S603 - our own script and interpreter
        [
            _python312(),
            "-I",
            str(ROOT / "infra" / "deploy" / "import_handler.py"),
            str(function_dir),
            module_name,
            attribute,
            str(HOST_SITE),
        ],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    # Then it imports from the artifact and names a callable
    assert result.returncode == 0, f"{logical_id} {module_name}.{attribute}:\n{result.stderr}"
    report = json.loads(result.stdout.splitlines()[-1])
    assert Path(report["file"]).is_relative_to(function_dir)
    assert report["python"].startswith("3.12.")


def test_built_extensions_are_for_the_templates_architecture() -> None:
    # Given every compiled extension in one function's artifact (they share one CodeUri)
    extensions = sorted(_built(FUNCTIONS[0]).rglob("*.so"))

    # When their ELF headers are read
    machines = {
        path.relative_to(BUILD_DIR).as_posix(): int.from_bytes(path.read_bytes()[18:20], "little")
        for path in extensions
    }

    # Then each one runs on the template's architecture (Lambda would refuse the others)
    assert extensions, "no compiled extension: is nh3 still a dependency?"
    (architecture,) = ARCHITECTURES
    wrong = sorted(k for k, m in machines.items() if m != ELF_MACHINE[architecture])
    assert wrong == []


def test_without_python_312_the_build_says_what_to_install(tmp_path: Path) -> None:
    # Given a PATH with a shell and coreutils but neither python3.12 nor pyenv
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "env", "grep", "sort", "tail"):
        (bin_dir / tool).symlink_to(f"/usr/bin/{tool}")

    # When the build looks for its interpreter
    result = subprocess.run(  # noqa: S603 - our own script
        [str(ROOT / "infra" / "deploy" / "python312.sh")],
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )

    # Then it stops, naming what is missing and how to get it
    assert result.returncode == 1
    assert "No Python 3.12 found" in result.stderr
    assert "pyenv install 3.12" in result.stderr

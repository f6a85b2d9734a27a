"""The README's walk through `sam deploy --guided` says how many times SAM asks about a route
without authentication; SAM's own code counts them from the template."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# In a process of its own: importing samcli changes PyYAML's loaders for the whole process
# (dates stay strings), which the configuration parser's tests would then meet.
COUNT_PROMPTS = """
import sys
from samcli.commands.deploy.auth_utils import auth_per_resource
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
stacks, _ = SamLocalStackProvider.get_stacks(sys.argv[1])
print(sum(1 for _, authorized in auth_per_resource(stacks) if not authorized))
"""


def test_the_readme_says_how_many_no_authentication_prompts_sam_asks() -> None:
    # Given the template, as sam deploy --guided reads it
    counted = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-c", COUNT_PROMPTS, str(ROOT / "template.yaml")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    prompts = int(counted.stdout.strip().splitlines()[-1])

    # When the README's deploy section is read
    said = re.search(
        r"asked once per API route \((\d+)\s+today\)", (ROOT / "README.md").read_text()
    )

    # Then it gives SAM's count
    assert said is not None, "the README no longer says how many prompts to expect"
    assert int(said.group(1)) == prompts

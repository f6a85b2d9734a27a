"""The README's walk through `sam deploy --guided` says how many times SAM asks about a route
without authentication; SAM's own code counts them from the template."""

from __future__ import annotations

import re
from pathlib import Path

from samcli.commands.deploy.auth_utils import auth_per_resource
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_says_how_many_no_authentication_prompts_sam_asks() -> None:
    # Given the template, as sam deploy --guided reads it
    stacks, _ = SamLocalStackProvider.get_stacks(str(ROOT / "template.yaml"))
    prompts = sum(1 for _, authorized in auth_per_resource(stacks) if not authorized)

    # When the README's deploy section is read
    said = re.search(
        r"asked once per API route \((\d+)\s+today\)", (ROOT / "README.md").read_text()
    )

    # Then it gives SAM's count
    assert said is not None, "the README no longer says how many prompts to expect"
    assert int(said.group(1)) == prompts

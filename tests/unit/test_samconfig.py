"""samconfig.toml: the dev and prod environments deploy this template, with its parameters."""

from __future__ import annotations

import shlex
import tomllib

import pytest

from tessera_local.template import ROOT, Template

TEMPLATE = Template.load()


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_each_environment_deploys_its_own_stack_with_known_parameters(environment: str) -> None:
    # Given samconfig.toml
    config = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))

    # When the environment's deploy settings are read
    deploy = config[environment]["deploy"]["parameters"]
    overrides = dict(item.split("=", 1) for item in shlex.split(deploy["parameter_overrides"]))

    # Then it names its own stack and stage, may create the functions' roles, shows the change
    # set first, and overrides only parameters the template declares, with values it accepts
    assert deploy["stack_name"] == f"tessera-{environment}"
    assert overrides["Stage"] == environment
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["confirm_changeset"] is True
    assert sorted(set(overrides) - set(TEMPLATE.body["Parameters"])) == []
    assert config[environment]["build"]["parameters"]["cached"] is True


def test_the_environments_differ_only_where_they_must() -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    dev, prod = (config[e]["deploy"]["parameters"] for e in ("dev", "prod"))
    assert dev["stack_name"] != prod["stack_name"]
    assert dev["s3_prefix"] != prod["s3_prefix"]

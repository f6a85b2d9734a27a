"""``tessera config apply`` as an operator runs it (the CLI's main, the stack's names in the
environment), on moto: each apply is on the same admin audit log as the admin center's, under
``cli:<user>``; a group's calendar the sla document has not is refused with its key and line."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tessera import bootstrap
from tessera.cli import main
from tests.integration.test_portability_cli import stack_env  # noqa: F401  (the fixture)

pytestmark = pytest.mark.integration

SLA = """\
calendars:
  - name: office
    timezone: UTC
    hours: {mon-fri: "09:00-17:00"}
default_calendar: office
policies:
  - name: standard
    targets:
      default: {first_response: 4h}
"""
GROUPS = "groups:\n  - name: support\n    calendar: {calendar}\nagents: []\n"


def audit_entries() -> list[tuple[str, str, str, str, str]]:
    now = datetime.now(UTC)
    entries = (
        bootstrap.dependencies()
        .audit_log()
        .entries(now - timedelta(days=1), now + timedelta(minutes=1), actor=None, limit=100)
    )
    return sorted((e.actor, e.action, e.target, e.before, e.after) for e in entries)


def test_config_apply_from_the_cli_is_audited(
    stack_env: str,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given an sla and a groups document in files
    (tmp_path / "sla.yaml").write_text(SLA, encoding="utf-8")
    (tmp_path / "groups.yaml").write_text(GROUPS.format(calendar="office"), encoding="utf-8")
    files = [str(tmp_path / "groups.yaml"), str(tmp_path / "sla.yaml")]
    # When the operator applies them, then applies the groups again changed
    assert main(["config", "apply", *files]) == 0, capsys.readouterr().err
    (tmp_path / "groups.yaml").write_text(
        GROUPS.format(calendar="office") + "# reviewed\n", encoding="utf-8"
    )
    assert main(["config", "apply", *files]) == 0, capsys.readouterr().err
    # Then each apply is on the admin audit log under cli:<their user name>; unchanged is not
    me = f"cli:{getpass.getuser()}"
    assert audit_entries() == [
        (me, "config.applied", "config:groups", "", "v1"),
        (me, "config.applied", "config:groups", "v1", "v2"),
        (me, "config.applied", "config:sla", "", "v1"),
    ]
    # and the version names them too
    assert bootstrap.config_store().current("groups").applied_by == me  # type: ignore[union-attr]


def test_a_groups_calendar_the_sla_document_has_not_is_refused(
    stack_env: str,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given the sla document is applied with the office calendar only
    (tmp_path / "sla.yaml").write_text(SLA, encoding="utf-8")
    assert main(["config", "apply", str(tmp_path / "sla.yaml"), "--actor", "cli:ops"]) == 0
    # When a groups document naming another calendar is applied
    (tmp_path / "groups.yaml").write_text(GROUPS.format(calendar="night"), encoding="utf-8")
    assert main(["config", "apply", str(tmp_path / "groups.yaml")]) == 1
    # Then it is refused at its key and line, and nothing is applied
    err = capsys.readouterr().err
    assert "groups[0].calendar" in err
    assert ":3" in err or "line 3" in err
    assert "no calendar night in the sla document (it has: office)" in err
    assert bootstrap.config_store().current("groups") is None
    assert [e[:3] for e in audit_entries()] == [("cli:ops", "config.applied", "config:sla")]

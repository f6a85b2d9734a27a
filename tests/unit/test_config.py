"""Configuration documents: parsing with lines, refusals naming file/line/key, mailboxes,
the CLI's validate, and the functions' cached reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from tessera import config
from tessera.cli import main as cli
from tessera.config import ConfigError, kinds
from tessera.config.kinds import ConfigReader
from tessera.errors import ConfigurationError, Conflict
from tests.fakes.memory import InMemoryConfigStore

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
mailboxes:
  - address: Support@Example.com
    group: support
  - address: billing@example.com
    brand: Billing
    group: billing
    language: el
"""


def test_lines_are_kept_for_every_key() -> None:
    doc = config.parse(GOOD, "m.yaml")
    assert doc.line(("mailboxes", 1, "brand")) == 5
    assert doc.line(("mailboxes", 1)) == 4
    assert doc.line(("mailboxes", 1, "nope")) == 4  # nearest ancestor


def test_mailboxes_parse_to_lookups_by_address() -> None:
    mailboxes = kinds.validate("mailboxes", GOOD)
    assert mailboxes.get("support@example.com").group == "support"
    assert mailboxes.get("BILLING@example.com").language == "el"
    assert mailboxes.get("other@example.com") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace("    group: billing", "    gruop: billing"),
            "m.yaml:6: mailboxes[1].gruop: unknown key",
        ),
        (
            GOOD.replace("    group: support\n", ""),
            "m.yaml:2: mailboxes[0]: missing required key 'group'",
        ),
        (
            GOOD.replace("billing@example.com", "Support@example.com"),
            "m.yaml:4: mailboxes[1].address: support@example.com is listed twice",
        ),
        ("mailboxes: {}\n", "m.yaml:1: mailboxes: must be a list, not a mapping"),
        ("mailboxes:\n  - address: [x\n", "m.yaml:3: not valid YAML"),
        ("mailboxes: []\nmailboxes: []\n", "m.yaml:2: mailboxes: duplicate key"),
        (
            "mailboxes:\n  - address: nobody\n    group: g\n",
            "m.yaml:2: mailboxes[0].address: must be an email address",
        ),
    ],
)
def test_bad_documents_are_refused_naming_line_and_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        kinds.validate("mailboxes", text, "m.yaml")
    assert str(refused.value).startswith(message)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown kind"):
        kinds.validate("nonsense", "a: 1")


def test_every_shipped_config_file_validates() -> None:
    files = sorted((ROOT / "infra" / "config").glob("*.yaml"))
    assert files, "infra/config has no documents"
    for path in files:
        kinds.validate(path.stem, path.read_text(encoding="utf-8"), str(path))


def test_cli_validate_reports_ok_and_refusals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "mailboxes.yaml"
    good.write_text(GOOD, encoding="utf-8")
    assert cli(["config", "validate", str(good)]) == 0
    assert f"ok {good}" in capsys.readouterr().out

    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    bad = bad_dir / "mailboxes.yaml"
    bad.write_text(GOOD.replace("group: billing", "grup: billing"), encoding="utf-8")
    assert cli(["config", "validate", str(bad)]) == 1
    assert f"refused {bad}:6: mailboxes[1].grup: unknown key" in capsys.readouterr().err


def test_store_versions_and_refuses_a_stale_apply() -> None:
    store = InMemoryConfigStore()
    assert store.apply("mailboxes", GOOD, actor="a", expected_version=0).version == 1
    assert store.apply("mailboxes", GOOD + "\n", actor="b", expected_version=1).version == 2
    with pytest.raises(Conflict):
        store.apply("mailboxes", GOOD, actor="c", expected_version=1)
    assert [c.version for c in store.history("mailboxes", limit=5)] == [2, 1]


def test_reader_caches_for_its_ttl_and_refuses_an_invalid_stored_document() -> None:
    store = InMemoryConfigStore()
    reader = ConfigReader(store, ttl=3600)
    assert reader.get("mailboxes") is None
    store.apply("mailboxes", GOOD, actor="a", expected_version=None)
    assert reader.get("mailboxes") is None  # cached "nothing applied" until the TTL passes
    assert ConfigReader(store, ttl=0).get("mailboxes") is not None

    store.apply("mailboxes", "mailboxes: 3\n", actor="a", expected_version=None)
    with pytest.raises(ConfigurationError, match="mailboxes v2"):
        ConfigReader(store, ttl=0).get("mailboxes")


def test_an_unknown_key_with_a_block_value_is_refused_at_the_keys_line() -> None:
    # Given a rule whose misspelt key is on line 3 and its value on lines 4-5
    text = "rules:\n  - name: x\n    whn:\n      subject: {words: [a]}\n    then: [{tags: [a]}]\n"
    # When it is validated
    with pytest.raises(ConfigError) as refused:
        kinds.validate("rules", text, "rules.yaml")
    # Then the error names the key's line
    assert (refused.value.line, refused.value.key) == (3, "rules[0].whn")

"""The console's words: every language has every key, every key the code asks for exists, and
placeholders match across languages (a translation that drops "{number}" drops the number)."""

from __future__ import annotations

import json
import re
from pathlib import Path

CONSOLE = Path(__file__).resolve().parents[2] / "portal_static" / "console"


def strings() -> dict[str, dict[str, str]]:
    text = (CONSOLE / "strings.js").read_text(encoding="utf-8")
    body = text.split("export default ", 1)[1].rstrip().removesuffix(";")
    loaded: dict[str, dict[str, str]] = json.loads(body)
    return loaded


def test_every_language_has_every_key() -> None:
    languages = strings()
    assert set(languages) == {"en", "fa", "el"}
    english = set(languages["en"])
    for lang, words in languages.items():
        assert set(words) == english, (lang, sorted(set(words) ^ english))


def test_placeholders_match_across_languages() -> None:
    names = re.compile(r"\{(\w+)(?=[,}])")
    languages = strings()
    for key, english in languages["en"].items():
        for lang, words in languages.items():
            assert set(names.findall(words[key])) == set(names.findall(english)), (lang, key)


def test_every_literal_key_the_code_uses_exists() -> None:
    english = strings()["en"]
    used = set()
    for module in CONSOLE.rglob("*.js"):  # admin/ too
        if module.name == "strings.js":
            continue
        used |= set(re.findall(r"""\bt\("([a-z_]+\.[a-z_.]+|[a-z]+)"[,)]""", module.read_text()))
    missing = sorted(key for key in used if key not in english)
    assert used, "no t(...) calls found: the pattern is wrong"
    assert missing == []

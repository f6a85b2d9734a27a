"""The KB sources travel with the function code: functions/tessera/kb/bundled links to the
repository's kb/ and the portal's UI strings, and copying the code the way `sam build` does
(aws-lambda-builders' copytree) yields real files, so publishing works in Lambda too."""

from __future__ import annotations

from pathlib import Path

from aws_lambda_builders.utils import copytree

from tessera.kb import articles, render

ROOT = Path(__file__).resolve().parents[2]


def test_the_bundle_points_at_the_repository_sources() -> None:
    assert articles.REPOSITORY_KB.resolve() == (ROOT / "kb").resolve()
    assert render.STRINGS.resolve() == (ROOT / "portal_static" / "assets" / "i18n.js").resolve()
    assert "en" in render.strings()


def test_a_sam_style_copy_of_the_code_carries_real_copies_of_the_sources(tmp_path: Path) -> None:
    # Given the function code copied as sam build copies CodeUri
    copytree(str(ROOT / "functions"), str(tmp_path / "code"))
    bundled = tmp_path / "code" / "tessera" / "kb" / "bundled"

    # Then the sources are there as plain files, the same as the repository's
    assert not (bundled / "kb").is_symlink()
    assert (bundled / "kb" / "portal.yaml").read_bytes() == (
        ROOT / "kb" / "portal.yaml"
    ).read_bytes()
    strings = ROOT / "portal_static" / "assets" / "i18n.js"
    assert (bundled / "i18n.js").read_bytes() == strings.read_bytes()

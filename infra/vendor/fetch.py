"""Fetch the vendored front-end libraries named in ``vendor.json`` from the npm registry.

The files are committed (the console and portal need no network and no bundler); this script is
how they got there and how a new version gets in: change the version, tarball and integrity in
``vendor.json`` (``npm view <package>@<version> dist``), run ``python infra/vendor/fetch.py``,
look at the diff, commit. The tarball is checked against its npm integrity (SHA-512) before
anything is extracted; ``--check`` verifies the committed files against the tarball instead.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK = Path(__file__).with_name("vendor.json")


def _tarball(entry: dict[str, str]) -> bytes:
    with urllib.request.urlopen(entry["tarball"], timeout=60) as response:  # noqa: S310 - npm
        data: bytes = response.read()
    algorithm, _, expected = entry["integrity"].partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if digest != expected:
        raise SystemExit(f"{entry['tarball']}: integrity {algorithm} does not match vendor.json")
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    check = parser.parse_args().check
    differ = 0
    for name, entry in json.loads(LOCK.read_text(encoding="utf-8")).items():
        with tarfile.open(fileobj=io.BytesIO(_tarball(entry)), mode="r:gz") as archive:
            for member, destination in entry["files"].items():
                extracted = archive.extractfile(member)
                if extracted is None:
                    raise SystemExit(f"{name}: {member} is not a file in the tarball")
                content = extracted.read()
                target = ROOT / destination
                if check:
                    same = target.exists() and target.read_bytes() == content
                    print(f"{'ok' if same else 'DIFFERS'} {destination}")
                    differ += not same
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(content)
                    print(f"wrote {destination} ({name} {entry['version']})")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())

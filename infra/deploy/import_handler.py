"""Import one template Handler from a built function directory, as Lambda's runtime would.

Run under the Lambda runtime's Python (3.12) with ``-I``:
``python3.12 -I infra/deploy/import_handler.py BUILD_DIR MODULE ATTRIBUTE [HOST_SITE]``.

``BUILD_DIR`` (e.g. ``.aws-sam/build/ApiFunction``) is put first on ``sys.path`` like
``/var/task``. The artifact's compiled extensions are built for the template's architecture
(arm64); when this machine is another one, each such extension is loaded instead from
``HOST_SITE``, the same pinned packages installed for this machine, and everything else (all
Python code) still comes from the artifact. Prints the handler's file, the extensions it
replaced and the import time as one JSON line; exits non-zero on any import error.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import json
import platform
import sys
import time
from pathlib import Path

ELF_MACHINES = {183: "aarch64", 62: "x86_64"}


def elf_machine(path: Path) -> str:
    header = path.read_bytes()[:20]
    if header[:4] != b"\x7fELF":
        return "not ELF"
    return ELF_MACHINES.get(int.from_bytes(header[18:20], "little"), "other")


class HostExtensions(importlib.abc.MetaPathFinder):
    """Finds a compiled extension of the artifact this machine cannot load in HOST_SITE."""

    def __init__(self, build_dir: Path, host_site: Path) -> None:
        self.build_dir, self.host_site = build_dir, host_site
        self.replaced: list[str] = []

    def find_spec(self, fullname, path=None, target=None):  # type: ignore[no-untyped-def]
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        origin = Path(spec.origin) if spec is not None and spec.origin else None
        if origin is None or origin.suffix != ".so" or self.build_dir not in origin.parents:
            return None
        if elf_machine(origin) == platform.machine():
            return None
        host_path = [
            str(self.host_site / Path(p).relative_to(self.build_dir))
            for p in (path or [str(self.build_dir)])
            if self.build_dir == Path(p) or self.build_dir in Path(p).parents
        ]
        host_spec = importlib.machinery.PathFinder.find_spec(fullname, host_path)
        if host_spec is None:
            built = elf_machine(origin)
            raise ImportError(f"{fullname}: built for {built}, none in {self.host_site}")
        self.replaced.append(fullname)
        return host_spec


def main() -> None:
    build_dir, module_name, attribute = Path(sys.argv[1]).resolve(), sys.argv[2], sys.argv[3]
    sys.path.insert(0, str(build_dir))
    finder = None
    if len(sys.argv) > 4:
        finder = HostExtensions(build_dir, Path(sys.argv[4]).resolve())
        sys.meta_path.insert(0, finder)
    started = time.perf_counter()
    target = getattr(importlib.import_module(module_name), attribute)
    elapsed = time.perf_counter() - started
    if not callable(target):
        sys.exit(f"{module_name}.{attribute} is a {type(target).__name__}, not callable")
    print(
        json.dumps(
            {
                "file": sys.modules[module_name].__file__,
                "python": platform.python_version(),
                "replaced": finder.replaced if finder else [],
                "seconds": round(elapsed, 3),
            }
        )
    )


if __name__ == "__main__":
    main()

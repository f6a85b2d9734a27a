"""The C allocator's settings the stack's processes make (tessera_local.allocator), checked by
what glibc then does, in a process of their own (the settings are the whole process's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# Frees a 4 MiB block (glibc then raises its threshold for blocks with pages of their own), then
# makes four blocks of 300 KiB: how many got pages of their own (mallinfo2's hblks).
PROBE = """
import ctypes, json, sys
from tessera_local import allocator

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd",
        "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
made = allocator.configure() if sys.argv[1] == "configure" else []
big = bytearray(4 * 1024 * 1024)
del big
before = libc.mallinfo2().hblks
blocks = [bytearray(300 * 1024) for _ in range(4)]
print(json.dumps({"made": made, "own_pages": libc.mallinfo2().hblks - before}))
"""
LOCAL = Path(__file__).resolve().parents[2] / "infra" / "local"


def probe(mode: str, **environment: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.update(environment, PYTHONPATH=str(LOCAL))
    done = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [sys.executable, "-c", PROBE, mode], env=env, capture_output=True, text=True, check=True
    )
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


def test_glibcs_defaults_put_blocks_in_the_heap_once_a_large_one_was_freed() -> None:
    # (what the settings are for: without them, the 300 KiB blocks come from the heap)
    assert probe("defaults") == {"made": [], "own_pages": 0}


def test_configured_large_blocks_keep_pages_of_their_own_and_two_arenas_are_set() -> None:
    assert probe("configure") == {
        "made": ["MALLOC_MMAP_THRESHOLD_=131072", "MALLOC_ARENA_MAX=2"],
        "own_pages": 4,
    }


def test_a_setting_the_operator_made_in_the_environment_is_left_as_it_is() -> None:
    answer = probe("configure", MALLOC_MMAP_THRESHOLD_="1048576")
    # glibc applied the operator's 1 MiB: the 300 KiB blocks stay in the heap
    assert answer == {"made": ["MALLOC_ARENA_MAX=2"], "own_pages": 0}

"""How the C allocator under the stack's processes hands freed memory back (glibc's malloc).

The objects Python makes are mostly small and live in its own arenas; what is larger than
512 bytes (request and answer bodies, the journal's records, a snapshot's buffers, big dicts
and lists) comes from malloc. Two of glibc's defaults kept that memory after it was freed, in
a process that runs for weeks with dozens of threads:

- **The threshold above which an allocation gets pages of its own rises with each such block
  freed**, up to 32 MiB: once a snapshot had freed its buffers, the next requests' bodies of a
  few hundred KiB came from the heap instead, and the holes they left stayed in the process.
  Here it is fixed at 128 KiB (glibc's starting value; setting it turns off the rise).
- **Each thread that allocates at once gets an arena of its own**, up to eight per core, and
  each keeps its free memory. Here there are two.

Measured with the stack run in-process, 400 mails in two bursts of 200,
its process's anonymous memory grew by 96 MiB with glibc's defaults, 75 MiB with the threshold
fixed, 64 MiB with both (docs/local-stack.md, change 32). A variable the operator set
(``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_ARENA_MAX``) is left as it is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

MMAP_THRESHOLD = 128 * 1024  # bytes: larger blocks get pages of their own, returned on free
ARENAS = 2
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameters (malloc.h)
_M_ARENA_MAX = -8


def configure() -> list[str]:
    """Set the two for this process, unless its environment set them; the settings made (none
    where the C library is not glibc)."""
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc: its allocator has its own ways
        return []
    made = []
    for variable, parameter, value in (
        ("MALLOC_MMAP_THRESHOLD_", _M_MMAP_THRESHOLD, MMAP_THRESHOLD),
        ("MALLOC_ARENA_MAX", _M_ARENA_MAX, ARENAS),
    ):
        if variable not in os.environ and mallopt(parameter, value) == 1:
            made.append(f"{variable}={value}")
    return made

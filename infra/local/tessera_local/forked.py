"""Work done by a forked copy of the stack's process, as Redis writes its RDB file (``BGSAVE``).

A snapshot pickles everything the emulator stores. Done in the stack's process it holds the
emulator's lock and the GIL for as long as that takes (a second or two after a few thousand
mails, more as the data grows): every request waits, and the stack's one core of Python spends
the time there. A forked child sees the state as it was at the fork (the kernel copies a page
only when one of the two writes it) and does the work on the other core, while the parent goes
on serving.

Only the forking thread goes on in the child, so the work must not need a lock another thread
may have held at the fork: pickling what moto stores does not (the picklers registered in
:mod:`tessera_local.emulator` make new locks rather than take them), and the child neither logs
nor imports. Linux only: elsewhere :func:`supported` is false and the caller does the work
itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from typing import NoReturn

# The child's name in ps and /proc/<pid>/comm (at most 15 bytes): a measure of the stack's
# memory waits for it to end (tests.localstack.pss_by_process), its pages being the stack's.
CHILD_NAME = "tessera-save"
_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def supported() -> bool:
    return _libc is not None and hasattr(os, "fork")


class Child:
    """A forked child doing one piece of work: :meth:`wait` for it, in the parent."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def wait(self, stopped: threading.Event, timeout: float) -> str | None:
        """Wait until the child ends: ``None`` when its work was done, else why not (it failed,
        ``stopped`` was set, or it ran longer than ``timeout`` seconds: then it is killed)."""
        deadline = time.monotonic() + timeout
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                return None if code == 0 else f"the child ended with {code}"
            if stopped.wait(0.02):
                reason = "stopped"
            elif time.monotonic() > deadline:
                reason = f"the child ran longer than {timeout:g} s"
            else:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            return reason


def fork(work: Callable[[], None]) -> Child:
    """Run ``work`` in a forked child: in the parent, the child; the child never returns from
    here. Call it holding whatever lock keeps the state ``work`` reads consistent: the fork
    copies the state as it is then, and the lock can be let go as soon as this returns."""
    parent = os.getpid()
    with warnings.catch_warnings():
        # Python 3.12 warns of fork in a process with threads: see the module's docstring.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        _run_as_child(work, parent)
    return Child(pid)


def _run_as_child(work: Callable[[], None], parent: int) -> NoReturn:
    code = 1
    try:
        # Killed with the stack (a crash, or kill -9): a child left writing could put an old
        # snapshot over the one the next start makes. Ctrl-C, sent to the terminal's whole
        # process group, is the stack's to handle, not the child's.
        assert _libc is not None
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the stack died before the line above
            os._exit(1)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        with contextlib.suppress(OSError), open("/proc/self/comm", "w") as comm:
            comm.write(CHILD_NAME)
        gc.disable()  # a collection would write to every object's page, copying it
        work()
        code = 0
    except BaseException:
        os.write(2, f"{CHILD_NAME} ({os.getpid()}): {traceback.format_exc()}".encode())
    finally:
        os._exit(code)  # no atexit handlers, no flushing of the parent's buffers

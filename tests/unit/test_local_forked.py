"""Work done by a forked child of the stack (tessera_local.forked): real forks, real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tessera_local import forked


def write_after(path: Path, seconds: float = 0.0) -> None:
    time.sleep(seconds)
    path.write_text(f"written by {os.getpid()}")


def gone_or_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_the_work_is_done_by_another_process_and_waited_for(tmp_path: Path) -> None:
    # Given work that writes a file
    done = tmp_path / "done"
    # When a child does it and is waited for
    child = forked.fork(lambda: write_after(done))
    failed = child.wait(threading.Event(), timeout=30)
    # Then it was done, by the child
    assert failed is None
    assert done.read_text() == f"written by {child.pid}"
    assert child.pid != os.getpid()


def test_work_that_fails_is_reported_with_its_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    def fail() -> None:
        raise OSError("No space left on device")

    # When the child's work raises
    failed = forked.fork(fail).wait(threading.Event(), timeout=30)
    # Then the parent hears that it failed, and the traceback is on stderr
    assert failed == "the child ended with 1"
    assert "No space left on device" in capfd.readouterr().err


def test_a_stop_or_the_timeout_kills_the_child_before_its_work_is_done(tmp_path: Path) -> None:
    # Given children whose work takes 2 s
    for name in ("stopped", "late"):
        path = tmp_path / name
        child = forked.fork(lambda path=path: write_after(path, 2))
        stopped = threading.Event()
        if name == "stopped":
            threading.Timer(0.2, stopped.set).start()
        # When the parent is stopped, or the work takes longer than allowed
        started = time.monotonic()
        failed = child.wait(stopped, timeout=0.5 if name == "late" else 30)
        # Then the child was killed, well before it was done
        assert time.monotonic() - started < 1.5
        assert failed == ("stopped" if name == "stopped" else "the child ran longer than 0.5 s")
        assert gone_or_zombie(child.pid)
        time.sleep(2.2)
        assert not path.exists()


def test_the_child_is_named_and_ignores_the_terminals_ctrl_c(tmp_path: Path) -> None:
    # Given a child at work for 1.5 s
    done = tmp_path / "done"
    child = forked.fork(lambda: write_after(done, 1.5))
    time.sleep(0.5)
    # Then ps shows what it is
    assert Path(f"/proc/{child.pid}/comm").read_text().strip() == forked.CHILD_NAME
    # When Ctrl-C reaches it (the terminal sends it to the stack's whole process group)
    os.kill(child.pid, signal.SIGINT)
    # Then it finishes its work: the stack decides what Ctrl-C means
    assert child.wait(threading.Event(), timeout=30) is None
    assert done.exists()


def test_the_child_dies_with_the_process_that_forked_it(tmp_path: Path) -> None:
    # Given a process (a stack) whose forked child works for 60 s
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from tessera_local import forked
        child = forked.fork(lambda: (time.sleep(60), Path({str(tmp_path / "done")!r}).touch()))
        print(child.pid, flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        assert not gone_or_zombie(pid)
        # When that process is killed (a crash, kill -9)
        parent.kill()
        parent.wait()
        # Then the child is killed too: left running, it could write an old snapshot over the
        # one the next start of the stack makes
        deadline = time.monotonic() + 10
        while not gone_or_zombie(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gone_or_zombie(pid)
        assert not (tmp_path / "done").exists()
    finally:
        parent.kill()
        parent.wait()

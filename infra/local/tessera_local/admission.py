"""Flow control for inbound mail: the SMTP server takes a new mail when the mail before it is
being routed, not faster than the stack can route.

Without it, a burst is accepted at the rate the disk can flush the spool (about 100 mails a
second here) and routed at the rate the stack can run intake and routing (about 13 a second on
two cores), so the 2,000th mail of a burst waits minutes between its ``250`` and its ticket's
acknowledgement, with the whole backlog held in the stack (spooled mail, queued invocations,
running executions, stream records). Postfix meets the same mismatch with ``in_flow_delay``: it
pauses a client before taking its message while mail arrives faster than it is delivered. Here
the pause lasts while the stack's **backlog** — mails whose intake has not finished, plus running
routing executions — is at the limit, and ends as soon as one of them ends, the longest-waiting
connection first. A pause never refuses mail: after ``max_wait`` seconds the mail is taken
anyway, so a stuck workflow slows senders down without bouncing anything.

The queue moves to the senders (their MTAs hold what they have not handed over yet, as they do
for any slow server); what the stack has acknowledged with ``250`` is routed within seconds, and
what it holds in a burst stays bounded. docs/local-stack.md has the figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

DEFAULT_LIMIT = 14  # mails in intake + routing executions running, before a new mail waits
MAX_WAIT_SECONDS = 10.0  # the longest one mail waits; then it is taken anyway
RECHECK_SECONDS = 0.25  # a waiting mail looks again this often even when nothing told it to


class Admission:
    """Admits one mail at a time, in arrival order, when ``backlog()`` is under ``limit`` (or
    ``max_wait`` seconds have passed). ``limit`` 0 admits at once.

    The waiting mail is woken by :meth:`changed`, which whatever ends part of the backlog calls
    (from any thread), and looks again every ``RECHECK_SECONDS`` besides."""

    def __init__(
        self,
        backlog: Callable[[], int],
        limit: int = DEFAULT_LIMIT,
        max_wait: float = MAX_WAIT_SECONDS,
    ) -> None:
        self.backlog = backlog
        self.limit = limit
        self.max_wait = max_wait
        # Made in the SMTP server's event loop, at the first mail.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._turn: asyncio.Lock | None = None  # FIFO: connections are admitted in turn
        self._changed: asyncio.Event | None = None
        self._waiting = False
        self.paused = 0  # mails that waited
        self.waited_seconds = 0.0  # in all
        self.overdue = 0  # mails taken when max_wait ran out

    def changed(self) -> None:
        """Part of the backlog ended: a waiting mail looks again (callable from any thread)."""
        loop, event = self._loop, self._changed
        if self._waiting and loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits
                loop.call_soon_threadsafe(event.set)

    async def admit(self) -> float:
        """Wait for this mail's turn; the seconds waited."""
        if self.limit <= 0:
            return 0.0
        if self._turn is None or self._changed is None:
            self._loop = asyncio.get_running_loop()
            self._turn, self._changed = asyncio.Lock(), asyncio.Event()
        started = time.monotonic()
        async with self._turn:
            if self.backlog() < self.limit:
                return 0.0
            deadline = started + self.max_wait
            self._waiting = True
            try:
                while True:
                    self._changed.clear()
                    if self.backlog() < self.limit:  # after clear(): no wake-up is missed
                        break
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        self.overdue += 1
                        break
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            self._changed.wait(), min(remaining, RECHECK_SECONDS)
                        )
            finally:
                self._waiting = False
        waited = time.monotonic() - started
        self.paused += 1
        self.waited_seconds += waited
        return waited


class RunningExecutions:
    """The Express executions (routing) the emulated Step Functions is running, counted without
    reading every execution: each one started is remembered until it is seen ended. One per
    process (moto's backends are), from :func:`running_executions`."""

    def __init__(self) -> None:
        self._started: weakref.WeakSet[Any] = weakref.WeakSet()
        self._lock = threading.Lock()
        self.on_ended: Callable[[], None] | None = None  # told when any execution ends

    def replacements(self) -> list[tuple[Any, str, Any]]:
        """``(class, attribute, replacement)``: moto's ``Execution.start`` and the end of an
        execution, wrapped to count (what is there now is wrapped: install after
        :func:`tessera_local.moto_costs.install`)."""
        from moto.stepfunctions.parser.backend.execution import (
            BaseExecutionWorkerCommunication,
            Execution,
        )

        start, terminated = Execution.start, BaseExecutionWorkerCommunication.terminated

        def counted_start(execution: Any) -> None:
            # The machine's ``type``: moto gives every execution an ``sm_type`` of STANDARD.
            if getattr(execution.state_machine, "type", None) != "EXPRESS":
                start(execution)
                return
            with self._lock:  # before it runs: counted from the moment it can start
                self._started.add(execution)
            try:
                start(execution)
            except BaseException:
                with self._lock:
                    self._started.discard(execution)
                raise

        def told_terminated(communication: Any) -> None:
            try:
                terminated(communication)
            finally:
                if self.on_ended is not None:
                    self.on_ended()

        return [
            (Execution, "start", counted_start),
            (BaseExecutionWorkerCommunication, "terminated", told_terminated),
        ]

    def count(self) -> int:
        from moto.stepfunctions.parser.api import ExecutionStatus

        with self._lock:
            ended = [
                e for e in self._started if e.exec_status not in (None, ExecutionStatus.RUNNING)
            ]
            for execution in ended:
                self._started.discard(execution)
            return len(self._started)


_running: RunningExecutions | None = None


def running_executions() -> RunningExecutions:
    """This process's count of running Express executions (installed at the first call, after
    :func:`tessera_local.moto_costs.install`, whose replacements it wraps)."""
    global _running
    if _running is None:
        _running = RunningExecutions()
        for owner, name, replacement in _running.replacements():
            setattr(owner, name, replacement)
    return _running

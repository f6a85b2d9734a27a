"""The template's functions in worker processes, as Lambda runs them apart from the services.

In one interpreter the functions and the emulated AWS share one core: during a burst of mail the
stack's CPU is mostly the functions' own client work (botocore serializing, signing and parsing
some thirty calls a mail), and a second core sits idle. With ``TESSERA_LOCAL_WORKERS=N`` (the
stack's default: 1) the handlers run in N worker processes and call the emulator over its port,
as a Lambda function calls AWS; the stack's process keeps the emulated AWS, the SMTP server, the
clock, the change feed and the HTTP server, and hands each invocation to the worker with the
fewest running (:meth:`WorkerPool.run`). ``0`` runs them in the stack's own process.

What a function does in a worker reaches the stack as it would in-process:

- its AWS calls: the IAM recorder and the usage meter run in the worker and send what they
  counted with each invocation's answer; every call names its function in a header, and a
  DynamoDB write is metered by the emulator, where the stored items are
  (``usage.meter_worker_calls``);
- its errors: the exception's type name and message (:class:`~tessera_local.lambdas.FunctionError`),
  as Lambda reports them; retries and dead-letter queues stay in the stack;
- a configuration it applied (``ConfigReader.forget``): the other workers forget their copy
  before the answer is returned, so an apply through the API takes effect with the next request,
  as it does in one process.

A worker is replaced after ``RECYCLE_AFTER`` invocations, as Lambda replaces an execution
environment now and then: what its heap kept leaves with it. A worker that dies fails its
running invocations (an asynchronous one is retried) and another starts. A worker ends when the
stack's process does, a crash included: its end of the socket closes. (Not Linux's parent-death
signal: that follows the *thread* that started the worker, and a replacement is started by
whichever thread found its predecessor spent, often a workflow's, which ends soon after.)
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

log = logging.getLogger("tessera.local.workers")

RECYCLE_AFTER = 2000  # invocations a worker runs before it is replaced
# Invocations a worker runs at once (each thread keeps its own AWS clients). None waits for
# another: a function's Event invocation is queued by the stack, not run while it waits.
THREADS = 8
STARTUP_SECONDS = 60.0

# (usage counts, IAM calls, config kinds forgotten) a worker sends with each answer
Report = tuple[dict[str, Any], set[Any], set[str]]


class WorkerLost(RuntimeError):
    """The worker process running an invocation ended before answering."""


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    connection: Connection
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    pending: dict[int, Future[Any]] = field(default_factory=dict)
    ready: threading.Event = field(default_factory=threading.Event)
    invocations: int = 0
    retiring: bool = False

    def send(self, message: tuple[Any, ...]) -> None:
        with self.send_lock:
            self.connection.send(message)


class WorkerPool:
    """``size`` worker processes running the functions' handlers (see the module's doc)."""

    def __init__(
        self,
        size: int,
        *,
        channel: str,
        port: int,
        on_report: Callable[[Report], None] | None = None,
        recycle_after: int = RECYCLE_AFTER,
    ) -> None:
        """``channel``: the address of the emulator's :class:`~tessera_local.transport.Channel`
        the workers send the AWS calls for ``127.0.0.1:port`` to."""
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.size = size
        self.channel = channel
        self.port = port
        self.recycle_after = recycle_after
        self.on_report = on_report
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []
        self._next_id = 0
        self._stopping = False

    def start(self) -> None:
        """Start the workers; returns once each is ready to run handlers."""
        with self._lock:
            workers = [self._spawn() for _ in range(self.size)]
        for worker in workers:
            if not worker.ready.wait(STARTUP_SECONDS):
                raise RuntimeError(f"worker process {worker.process.pid} did not start")

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return [worker.process.pid for worker in self._workers]

    def run(
        self, handler: str, function: str, event: dict[str, Any], context: dict[str, Any]
    ) -> tuple[Any, float]:
        """Run ``handler`` (``module.attribute``) of ``function`` (its logical id) on ``event``
        in a worker: its result and the CPU seconds it took there. Raises the function's error
        as :class:`~tessera_local.lambdas.FunctionError`, or :class:`WorkerLost`."""
        future: Future[Any] = Future()
        with self._lock:
            if self._stopping:
                raise RuntimeError("the worker pool is shut down")
            worker = self._choose()
            self._next_id += 1
            invocation = self._next_id
            worker.pending[invocation] = future
        try:
            worker.send(("invoke", invocation, handler, function, event, context))
        except OSError as error:
            with self._lock:
                worker.pending.pop(invocation, None)
            raise WorkerLost(f"worker {worker.process.pid}: {error}") from None
        answer: tuple[Any, float] = future.result()
        return answer

    def _choose(self) -> _Worker:
        """The ready worker with the fewest invocations running (the first of those: spreading
        a light load over every worker cost a third more CPU a mail in the bench); under the
        lock. A worker that reached ``recycle_after`` takes no more and another is started
        beside it."""
        candidates = [w for w in self._workers if not w.retiring]
        ready = [w for w in candidates if w.ready.is_set()] or candidates
        worker = min(ready, key=lambda w: len(w.pending))
        worker.invocations += 1
        if worker.invocations >= self.recycle_after:
            worker.retiring = True
            self._spawn()
        return worker

    def _spawn(self) -> _Worker:
        ours, theirs = socket.socketpair()
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "tessera_local.workers",
                str(theirs.fileno()),
                self.channel,
                str(self.port),
            ],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        worker = _Worker(process, Connection(ours.detach()))
        self._workers.append(worker)
        threading.Thread(
            target=self._read, args=(worker,), name=f"worker-{process.pid}", daemon=True
        ).start()
        return worker

    def _read(self, worker: _Worker) -> None:
        """Answers from one worker, until it ends."""
        while True:
            try:
                message = worker.connection.recv()
            except (EOFError, OSError):
                break
            if message[0] == "ready":
                worker.ready.set()
            elif message[0] == "done":
                self._done(worker, *message[1:])
        self._lost(worker)

    def _done(
        self, worker: _Worker, invocation: int, ok: bool, payload: Any, cpu: float, report: Report
    ) -> None:
        from tessera_local.lambdas import FunctionError

        forgotten = report[2]
        if forgotten:  # before the answer returns: the next request reads the new version
            with self._lock:
                others = [w for w in self._workers if w is not worker]
            for other in others:
                with contextlib.suppress(OSError):
                    other.send(("forget", sorted(forgotten)))
        if self.on_report is not None:
            self.on_report(report)
        with self._lock:
            future = worker.pending.pop(invocation, None)
            retire = worker.retiring and not worker.pending
        if retire:
            with contextlib.suppress(OSError):
                worker.send(("exit",))
        if future is None:
            return
        if ok:
            future.set_result((payload, cpu))
        else:
            error_type, message, trace = payload
            log.debug("%s", trace)
            future.set_exception(FunctionError(error_type, message, cpu))

    def _lost(self, worker: _Worker) -> None:
        with contextlib.suppress(OSError):
            worker.connection.close()
        code = worker.process.wait()
        with self._lock:
            if worker in self._workers:
                self._workers.remove(worker)
            pending, worker.pending = worker.pending, {}
            replace = not self._stopping and not worker.retiring
            if replace:
                self._spawn()
        if pending or replace:
            log.error(
                "worker process %d ended (exit %s) with %d invocations running",
                worker.process.pid,
                code,
                len(pending),
            )
        for future in pending.values():
            future.set_exception(WorkerLost(f"worker process {worker.process.pid} ended"))

    def stop(self) -> None:
        """End the workers now (the stack stops: the emulator they call is closed, and what a
        workflow's task was doing is started again after a restart, as after a crash)."""
        with self._lock:
            self._stopping = True
            workers = list(self._workers)
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                worker.process.kill()
        for worker in workers:
            worker.process.wait()


# ------------------------------------------------------------------ in the worker process
class _Forgotten:
    """Config kinds a function in this worker applied (and so forgot) since the last answer."""

    def __init__(self) -> None:
        self._kinds: set[str] = set()
        self._lock = threading.Lock()
        from tessera.config.kinds import ConfigReader

        self.forget_here: Callable[[Any, str], None] = ConfigReader.forget
        forgotten = self

        def forget(reader: Any, kind: str) -> None:
            forgotten.forget_here(reader, kind)
            with forgotten._lock:
                forgotten._kinds.add(kind)

        ConfigReader.forget = forget  # type: ignore[method-assign,assignment]

    def take(self) -> set[str]:
        with self._lock:
            kinds, self._kinds = self._kinds, set()
        return kinds

    def forget_elsewhere_applied(self, kinds: list[str]) -> None:
        """Another worker's function applied ``kinds``: read them again next time."""
        from tessera import bootstrap

        reader = bootstrap.dependencies().config()
        for kind in kinds:
            self.forget_here(reader, kind)


def _name_requests_by_function() -> None:
    """Every AWS request this process sends carries the function it was made for (the emulator
    meters DynamoDB calls by it)."""
    from botocore import endpoint as botocore_endpoint

    from tessera_local import iam

    endpoint_class: Any = botocore_endpoint.Endpoint
    send_request = endpoint_class._send

    def send(endpoint: Any, request: Any) -> Any:
        function = iam.current_function()
        if function is not None:
            request.headers["X-Tessera-Function"] = function
        return send_request(endpoint, request)

    endpoint_class._send = send


def main(descriptor: int, channel: str, port: int) -> int:
    """A worker: run the handlers the stack sends until it says exit or goes away."""
    import importlib

    from tessera_local import allocator, iam, transport, usage
    from tessera_local.lambdas import LambdaContext
    from tessera_local.template import Template

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for noisy in ("botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the stack, which ends us
    allocator.configure()
    connection = Connection(descriptor)
    send_lock = threading.Lock()
    recorder = iam.Recorder()
    recorder.install()
    meter = usage.Meter(Template.load())
    usage.meter_calls(meter, skip=usage.metered_by_emulator)
    usage.count_logs(meter)
    transport.connect(channel, port)
    _name_requests_by_function()
    forgotten = _Forgotten()
    handlers: dict[str, Any] = {}
    reported: set[Any] = set()  # IAM calls already sent
    reported_lock = threading.Lock()

    def handler_of(path: str) -> Any:
        if path not in handlers:
            module_name, _, attribute = path.rpartition(".")
            handlers[path] = getattr(importlib.import_module(module_name), attribute)
        return handlers[path]

    def send(message: tuple[Any, ...]) -> None:
        with send_lock:
            connection.send(message)

    def invoke(
        invocation: int, path: str, function: str, event: Any, context: dict[str, Any]
    ) -> None:
        cpu = time.thread_time()
        try:
            with iam.running(function):
                result: Any = handler_of(path)(event, LambdaContext(**context))
            outcome: tuple[bool, Any] = (True, result)
        except Exception as error:  # the function's error, reported as Lambda reports it
            outcome = (False, (type(error).__name__, str(error), traceback.format_exc()))
        with reported_lock:
            calls = recorder.take() - reported
            reported.update(calls)
        report = (meter.take(), calls, forgotten.take())
        done = ("done", invocation, *outcome, time.thread_time() - cpu, report)
        try:
            send(done)
        except Exception as error:  # an answer that does not pickle
            failure = (type(error).__name__, f"the answer could not be sent: {error}", "")
            send(("done", invocation, False, failure, time.thread_time() - cpu, report))

    pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="function")
    send(("ready",))
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            os._exit(0)  # the stack is gone: nothing here is worth finishing
        if message[0] == "invoke":
            pool.submit(invoke, *message[1:])
        elif message[0] == "forget":
            forgotten.forget_elsewhere_applied(message[1])
        elif message[0] == "exit":
            pool.shutdown(wait=True)
            connection.close()
            return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3])))

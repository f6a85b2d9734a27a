"""The emulated AWS (moto in server mode), made atomic and durable like the services it stands in
for.

- **Atomic**: moto serves concurrent requests without locking (two conditional writes can both
  win, a transaction can fail half-way). Every request is served under one lock, so each call is
  atomic as DynamoDB's are. Lambda invocations are the exception: they run a handler that makes
  calls of its own (Step Functions tasks), so they are dispatched outside the lock.
- **Durable**: every call that changes something is appended to a journal and flushed to disk
  (``fsync``) before its answer goes back; a snapshot of all state is written now and then, after
  which the journal starts over. On start the snapshot is loaded and the journal replayed in
  order, so a crash (SIGKILL, power loss) loses no answered call. During a replay Step Functions
  executions are recorded but not run (the calls their tasks made are in the journal already);
  an execution that was running when the stack stopped is marked ``ABORTED`` and the routing
  reconciler starts the ticket's routing again.
"""

from __future__ import annotations

import contextlib
import copyreg
import io
import logging
import os
import pickle
import struct
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tessera_local import forked

log = logging.getLogger("tessera.local.emulator")

SNAPSHOT = "aws-state.pickle"
JOURNAL = "aws-journal"  # journal files: aws-journal.<generation>
# The moto backends Tessera's resources live in (Step Functions: the executing interpreter's).
SERVICES = (
    "dynamodb",
    "s3",
    "ses",
    "events",
    "cognito-idp",
    "sns",
    "sqs",
    "secretsmanager",
)
# The header a worker process's requests name their function in (tessera_local.workers).
FUNCTION_HEADER = "HTTP_X_TESSERA_FUNCTION"
READ_PREFIXES = ("Get", "List", "Describe", "Query", "Scan", "BatchGet", "TransactGet", "Head")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


# ------------------------------------------------------------------ what a request is
def operation(environ: dict[str, Any], body: bytes) -> tuple[str, bool, bool]:
    """``(name, changes_state, is_lambda_invoke)`` of one request to the emulator."""
    path = str(environ.get("PATH_INFO", ""))
    method = str(environ.get("REQUEST_METHOD", "GET")).upper()
    if path.startswith("/2015-03-31/functions/") and path.endswith("/invocations"):
        return "lambda:Invoke", False, True
    if path.startswith("/moto-api"):
        return "moto-api", False, False
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target:
        name = target.rsplit(".", 1)[-1]
        return name, not name.startswith(READ_PREFIXES), False
    action = _query_action(str(environ.get("QUERY_STRING", ""))) or _query_action(
        body.decode("utf-8", "replace") if body[:200].find(b"Action=") >= 0 else ""
    )
    if action:
        return action, not action.startswith(READ_PREFIXES), False
    return f"{method} {path}", method not in {"GET", "HEAD", "OPTIONS"}, False


def _query_action(query: str) -> str:
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if name == "Action":
            return value
    return ""


# ------------------------------------------------------------------ the journal
class Journal:
    """Records of the calls that changed state since the last snapshot, each flushed to disk
    before the call is answered. A record: method, raw URI, path, query, headers and body.

    Appending (under the emulator's lock, so records keep the order the calls were served in)
    only writes; :meth:`sync` (outside the lock) waits until the record is on disk. One
    ``fsync`` covers every record written before it, so concurrent calls share it (a group
    commit) instead of each holding the lock through a flush of its own."""

    def __init__(self, directory: Path, generation: int) -> None:
        self.directory = directory
        self.generation = generation
        self._file = self._open(generation)
        self._written = 0  # records written (to the OS) so far, every generation counted
        self._generation_start = 0  # records written before this generation
        self._durable = 0  # records known to be on disk
        self._syncing = False
        self._flushed = threading.Condition()

    def _open(self, generation: int) -> io.BufferedWriter:
        return open(self.directory / f"{JOURNAL}.{generation}", "ab")

    @property
    def position(self) -> int:
        """How many records were written so far: ``sync(position)`` makes them all durable."""
        return self._written

    @property
    def in_generation(self) -> int:
        """How many records this generation holds: calls since the last snapshot."""
        return self._written - self._generation_start

    @property
    def durable(self) -> int:
        """How many of those are known to be on disk."""
        return self._durable

    def append(self, record: dict[str, Any]) -> int:
        """Write one record (not yet durable); its position for :meth:`sync`."""
        data = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        with self._flushed:
            self._file.write(struct.pack(">I", len(data)) + data)
            self._file.flush()
            self._written += 1
            return self._written

    def sync(self, position: int) -> None:
        """Return once every record up to ``position`` is on disk."""
        with self._flushed:
            while self._durable < position:
                if self._syncing:  # another call's fsync is under way: it may cover ours
                    self._flushed.wait()
                    continue
                self._syncing = True
                target, descriptor = self._written, self._file.fileno()
                self._flushed.release()
                try:
                    os.fsync(descriptor)
                finally:
                    self._flushed.acquire()
                    self._syncing = False
                self._durable = max(self._durable, target)
                self._flushed.notify_all()

    def rotate(self) -> int:
        """Start the next generation; returns it. Calls from now on belong to the next
        snapshot."""
        with self._flushed:
            while self._syncing:
                self._flushed.wait()
            self._file.flush()
            os.fsync(self._file.fileno())
            self._durable = self._written
            self._file.close()
            self.generation += 1
            self._generation_start = self._written
            self._file = self._open(self.generation)
            self._flushed.notify_all()
            return self.generation

    def close(self) -> None:
        with self._flushed:
            while self._syncing:
                self._flushed.wait()
            self._file.close()

    @staticmethod
    def records(directory: Path, since: int) -> Iterator[dict[str, Any]]:
        """Every record of generations ``since`` and later, oldest first. A record cut short
        by a crash (its answer never went out) ends the file."""
        for path in sorted(directory.glob(f"{JOURNAL}.*"), key=lambda p: int(p.suffix[1:])):
            if int(path.suffix[1:]) < since:
                continue
            data = path.read_bytes()
            at = 0
            while at + 4 <= len(data):
                (size,) = struct.unpack(">I", data[at : at + 4])
                if at + 4 + size > len(data):
                    log.warning("%s ends with a partial record (a crash mid-write)", path.name)
                    break
                yield pickle.loads(data[at + 4 : at + 4 + size])  # noqa: S301 - ours
                at += 4 + size

    @staticmethod
    def discard_before(directory: Path, generation: int) -> None:
        for path in directory.glob(f"{JOURNAL}.*"):
            if int(path.suffix[1:]) < generation:
                path.unlink(missing_ok=True)


# ------------------------------------------------------------------ the emulator
class Emulator:
    """moto's server app behind one lock, with a journal and snapshots in ``directory``."""

    def __init__(self, directory: Path) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        _register_picklers()
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self._app: WsgiApp = DomainDispatcherApplication(create_backend_app)
        self.journal: Journal | None = None
        self.replaying = False
        # Per operation, what the service would make up, filled into the request before it is
        # served (tessera_local.cognito: a generated temporary password), so the journal keeps
        # it and a replay makes the same state as the call did.
        self.fill_in: dict[str, Callable[[bytes], bytes]] = {}
        # Around a DynamoDB call a function in a worker process sent (tessera_local.usage meters
        # it here, where the stored items are): (function, operation, body, serve) -> answer.
        self.around_worker_call: Callable[[str, str, bytes, Callable[[], Any]], Any] | None = None

    # -- state on disk ------------------------------------------------------------------------
    @property
    def snapshot_path(self) -> Path:
        return self.directory / SNAPSHOT

    def has_state(self) -> bool:
        return self.snapshot_path.is_file()

    def discard(self) -> None:
        """Forget everything on disk (``TESSERA_FRESH=1``, or a first start cut short)."""
        self.snapshot_path.unlink(missing_ok=True)
        Journal.discard_before(self.directory, 1 << 62)

    def restore(self) -> int:
        """Load the snapshot and replay the journal after it; the number of calls replayed."""
        saved = pickle.loads(self.snapshot_path.read_bytes())  # noqa: S301 - written by save()
        for name, accounts in saved["backends"].items():
            live = _backend(name)
            live.clear()
            live.update(accounts)
        replayed = 0
        self.replaying = True
        try:
            with _executions_not_run():
                for record in Journal.records(self.directory, saved["generation"]):
                    self._replay(record)
                    replayed += 1
        finally:
            self.replaying = False
        abort_unfinished_executions()
        self.journal = Journal(self.directory, saved["generation"])
        # A fresh snapshot and journal: the old journal may end with a record a crash cut short.
        self.save()
        log.info("restored emulated AWS state: snapshot and %d journaled calls", replayed)
        return replayed

    def start_journal(self) -> None:
        """Journal from now on (a first start: after provisioning, before the first snapshot)."""
        if self.journal is None:
            self.journal = Journal(self.directory, 0)

    def journaled_since_save(self) -> int:
        """How many calls were journaled since the last snapshot."""
        return self.journal.in_generation if self.journal else 0

    def save(self) -> None:
        """Write a snapshot of every backend and start a new journal generation."""
        with self.lock:
            generation = self.journal.rotate() if self.journal else 0
            payload = _pickle_backends(generation)
        self._write_snapshot(payload)
        Journal.discard_before(self.directory, generation)

    def save_apart(self, stopped: threading.Event, timeout: float) -> str | None:
        """:meth:`save`, the pickling and writing done by a forked child (:mod:`forked`): the
        lock is held for the fork only, and the stack's process goes on serving meanwhile.
        ``None`` once the snapshot is on disk; else why it is not (the child failed, ran longer
        than ``timeout`` or ``stopped`` was set): the journal is kept whole then, so the older
        snapshot and it still make the state, and the next snapshot covers it."""
        if not forked.supported():
            self.save()
            return None
        with self.lock:
            generation = self.journal.rotate() if self.journal else 0
            child = forked.fork(lambda: self._write_snapshot(_pickle_backends(generation)))
        failed = child.wait(stopped, timeout)
        if failed is None:
            Journal.discard_before(self.directory, generation)
        return failed

    def _write_snapshot(self, payload: bytes) -> None:
        temporary = self.snapshot_path.with_suffix(".tmp")
        with open(temporary, "wb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.snapshot_path)
        _fsync_directory(self.directory)

    def close(self) -> None:
        if self.journal:
            self.journal.close()

    # -- serving ------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        body = _read_body(environ)
        name, changes, invoke = operation(environ, body)
        if invoke:  # the handler makes calls of its own, each under the lock
            return self._app(_with_body(environ, body), start_response)
        if name in self.fill_in:
            body = self.fill_in[name](body)
            environ = _with_body(environ, body)  # its Content-Length journaled with it
        app, served = self._app_for(environ), _with_body(environ, body)
        function = environ.get(FUNCTION_HEADER)  # a function in a worker process sent it
        with self.lock:
            if function and app is dynamodb_app and self.around_worker_call is not None:
                status, headers, chunks = self.around_worker_call(
                    str(function), name, body, lambda: call_wsgi(app, served)
                )
            else:
                status, headers, chunks = call_wsgi(app, served)
            journal = self.journal
            if changes and journal is not None and int(status.split(" ", 1)[0]) < 400:
                journal.append(_record(environ, body))
            # Even a read waits for what came before it: its answer may show an earlier change.
            durable_from = journal.position if journal is not None else 0
        if journal is not None:
            journal.sync(durable_from)
        start_response(status, headers)
        return [chunks]

    def _replay(self, record: dict[str, Any]) -> None:
        from werkzeug.test import EnvironBuilder

        builder = EnvironBuilder(
            path=record["path"],
            method=record["method"],
            query_string=record["query"],
            headers=record["headers"],
            data=record["body"],
        )
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        # As the call was served: the builder would decode and encode the path again, and
        # moto reads an S3 key from the request's raw URI (a key with "é" or "%2F" would come
        # back as another key). A record from before raw URIs were kept has its path only.
        environ["PATH_INFO"], environ["QUERY_STRING"] = record["path"], record["query"]
        for name in ("RAW_URI", "REQUEST_URI"):
            environ.pop(name, None)
            if record.get("raw_uri"):
                environ[name] = record["raw_uri"]
        with self.lock:
            call_wsgi(self._app_for(environ), environ)

    def _app_for(self, environ: dict[str, Any]) -> WsgiApp:
        """moto's server app; for DynamoDB's own calls, its handler without the app around it."""
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        return dynamodb_app if target.startswith(DYNAMODB_TARGET) else self._app


def _record(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    headers = {
        key[5:].replace("_", "-").title(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").title()] = str(environ[key])
    return {
        "method": environ.get("REQUEST_METHOD", "GET"),
        "raw_uri": environ.get("RAW_URI") or environ.get("REQUEST_URI") or "",
        "path": environ.get("PATH_INFO", "/"),
        "query": environ.get("QUERY_STRING", ""),
        "headers": headers,
        "body": body,
    }


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        return bytes(stream.read(int(length)))
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked" or environ.get(
        "wsgi.input_terminated"
    ):
        return bytes(stream.read())
    return b""


def _with_body(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    copied = dict(environ)
    copied["wsgi.input"] = io.BytesIO(body)
    copied["CONTENT_LENGTH"] = str(len(body))
    copied.pop("HTTP_TRANSFER_ENCODING", None)
    return copied


DYNAMODB_TARGET = "DynamoDB_20120810."  # (DynamoDB Streams' calls are DynamoDBStreams_...)


def dynamodb_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """A DynamoDB call served by moto's DynamoDB handler as its server app would serve it (the
    same request class, handler, answer and errors), without the app around it: the dispatch by
    host and target, Flask's request context, URL map and hooks took more of the stack's CPU
    than the intake's DynamoDB work itself. What the app adds and this does not: its CORS
    headers (for browsers; botocore ignores them) and moto's request recorder (off).
    ``tests/integration/test_emulator_dynamodb`` compares the two answer by answer."""
    from botocore.exceptions import ClientError
    from flask import Response
    from moto.core.request import normalize_request
    from moto.dynamodb.responses import DynamoHandler
    from moto.moto_server.werkzeug_app import BackendRequest

    request = normalize_request(BackendRequest(environ))
    try:
        result = DynamoHandler.dispatch(request, request.raw_url, dict(request.headers))
    except ClientError as error:  # as moto's convert_to_flask_response answers it
        result = 400, {}, error.response["Error"]["Message"]
    status, headers, content = result if len(result) == 3 else (200, {}, result)
    return Response(response=content, status=status, headers=headers)(environ, start_response)


def call_wsgi(app: WsgiApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """One WSGI call, whole: (status line, headers, body)."""
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        answer["status"], answer["headers"] = status, headers
        return lambda _data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return answer["status"], answer["headers"], body


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# ------------------------------------------------------------------ backends and pickling
def _backend(name: str) -> Any:
    if name == "stepfunctions":
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        return stepfunctions_parser_backends
    from moto.backends import get_backend

    return get_backend(name)  # type: ignore[call-overload]


def _pickle_backends(generation: int) -> bytes:
    names = (*SERVICES, "stepfunctions")
    for attempt in range(5):
        try:
            backends = {name: dict(_backend(name)) for name in names}
            return pickle.dumps({"generation": generation, "backends": backends})
        except RuntimeError:  # an execution's worker changed a dict while we walked it
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _register_picklers() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.stepfunctions.parser.backend.execution import Execution

    def reduce_rsa(key: rsa.RSAPrivateKey) -> tuple[Any, tuple[bytes]]:
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return _load_rsa, (pem,)

    def reduce_execution(execution: Any) -> tuple[Any, tuple[type, dict[str, Any]]]:
        state = {k: v for k, v in vars(execution).items() if k != "exec_worker"}
        return _load_execution, (type(execution), state)

    # A stored DynamoDB item, its attribute map and each typed value are pickled from their
    # attributes by name. Pickled the default way (``object.__getstate__``), each object's
    # ``__dict__`` is made for the pickler and stays, 64 bytes or more on every one of the
    # hundreds of thousands of objects a team's tables hold, made again at every snapshot for
    # the items written since: CPython keeps an instance's attributes without a dict until
    # something asks for it. (copy.deepcopy, which moto uses for stream images, asks too.)
    copyreg.pickle(DynamoType, _reduce_dynamo_type)
    copyreg.pickle(LimitedSizeDict, _reduce_attribute_map)
    copyreg.pickle(Item, _reduce_item)
    probe = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    copyreg.pickle(type(probe), reduce_rsa)
    copyreg.pickle(type(threading.Lock()), lambda _lock: (threading.Lock, ()))
    copyreg.pickle(type(threading.RLock()), lambda _lock: (threading.RLock, ()))
    kinds: list[type[Any]] = [Execution, *Execution.__subclasses__()]
    for kind in kinds:
        copyreg.pickle(kind, reduce_execution)


def _reduce_dynamo_type(value: Any) -> tuple[Any, tuple[Any, ...]]:
    return _load_dynamo_type, (type(value), value.type, value.value)


def _load_dynamo_type(kind: Any, type_name: str, value: Any) -> Any:
    loaded = kind.__new__(kind)
    loaded.type, loaded.value = type_name, value
    return loaded


def _reduce_attribute_map(attributes: Any) -> tuple[Any, tuple[Any, ...]]:
    return _load_attribute_map, (type(attributes), dict(attributes))


def _load_attribute_map(kind: Any, attributes: dict[str, Any]) -> Any:
    loaded = kind.__new__(kind)
    dict.update(loaded, attributes)  # stored before: its size was checked when it was written
    return loaded


def _reduce_item(item: Any) -> tuple[Any, tuple[Any, ...]]:
    return _load_item, (type(item), item.hash_key, item.range_key, item.attrs)


def _load_item(kind: Any, hash_key: Any, range_key: Any, attributes: Any) -> Any:
    loaded = kind.__new__(kind)
    loaded.hash_key, loaded.range_key, loaded.attrs = hash_key, range_key, attributes
    return loaded


def _load_rsa(pem: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(pem, password=None)


def _load_execution(kind: Any, state: dict[str, Any]) -> Any:
    execution = kind.__new__(kind)
    vars(execution).update(state, exec_worker=None)
    return execution


def _all_executions() -> Iterator[Any]:
    for accounts in _backend("stepfunctions").values():
        for backend in accounts.values():
            for machine in getattr(backend, "state_machines", []):
                yield from getattr(machine, "executions", [])


def abort_unfinished_executions() -> int:
    """Executions that no worker runs (they ran when the stack stopped, or were replayed from
    the journal) end as ABORTED, saying why; the number aborted."""
    from moto.stepfunctions.parser.api import ExecutionStatus

    aborted = 0
    for execution in _all_executions():
        if execution.exec_worker is None and execution.exec_status == ExecutionStatus.RUNNING:
            execution.exec_status = ExecutionStatus.ABORTED
            execution.stop_date = datetime.now(UTC)
            execution.error = "States.LocalStackStopped"
            execution.cause = "the local stack stopped while this execution ran"
            aborted += 1
    return aborted


@contextlib.contextmanager
def _executions_not_run() -> Iterator[None]:
    """While the journal is replayed, a started execution is recorded as running, not run."""
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.backend.execution import Execution

    original = Execution.start

    def record_only(self: Any) -> None:
        self.exec_status = ExecutionStatus.RUNNING

    Execution.start = record_only  # type: ignore[method-assign]
    try:
        yield
    finally:
        Execution.start = original  # type: ignore[method-assign]


class EmulatorServer:
    """The emulator on ``127.0.0.1:<port>`` (werkzeug, a thread per request), in this process."""

    def __init__(self, emulator: Emulator, port: int) -> None:
        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from werkzeug.serving import make_server

        self.emulator = emulator
        self._server = make_server(
            "127.0.0.1", port, emulator, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="aws-emulator", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()


class Autosave(threading.Thread):
    """A snapshot once ``every`` calls have been journaled since the last one (checked each
    ``interval`` seconds), until stopped. Counted in journaled calls, a restart after a crash
    replays at most about ``every`` of them (a few seconds), and an idle stack saves nothing.

    A snapshot's cost grows with what is stored. Taken in the stack's process it holds the
    emulator's lock, so every request waited for it (the 4-6 s worst cases under a burst of
    mail), and took a tenth of the process's time late in a 2,000-mail burst: so a forked child
    writes it (:meth:`Emulator.save_apart`, ``apart``). Should a child fail or hang (``timeout``
    seconds), the snapshots from then on are taken in the process, as before, and it is
    logged."""

    def __init__(
        self,
        emulator: Emulator,
        interval: float = 5.0,
        every: int = 5000,
        *,
        apart: bool = True,
        timeout: float = 600.0,
    ) -> None:
        super().__init__(name="autosave", daemon=True)
        self.emulator = emulator
        self.interval = interval
        self.every = every
        self.apart = apart
        self.timeout = timeout
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            if self.emulator.journaled_since_save() < self.every:
                continue
            try:
                if not self.apart:
                    self.emulator.save()
                    continue
                failed = self.emulator.save_apart(self.stopped, self.timeout)
                if failed and not self.stopped.is_set():
                    log.warning(
                        "a snapshot was not written (%s): taken in-process from now on", failed
                    )
                    self.apart = False
            except Exception:
                log.exception("saving local state failed")

    def stop(self) -> None:
        """Stop, and wait for a snapshot under way (one a child writes is given up: the stack's
        last snapshot, at its stop, covers it)."""
        self.stopped.set()
        if self.is_alive():
            self.join()

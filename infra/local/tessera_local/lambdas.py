"""Run the template's Lambda functions in this process.

Every ``AWS::Serverless::Function`` in template.yaml is registered under its local name with the
handler its ``Handler`` property names. Step Functions tasks reach moto's simple Lambda backend;
:func:`install` makes that backend call the real handler instead of echoing its input. The SMTP
server and the clock call :meth:`Functions.invoke_async` the way SES and EventBridge would:
retried as the function's ``EventInvokeConfig`` says (Lambda's default: twice), then sent to its
``DeadLetterQueue`` (or the schedule's ``DeadLetterConfig``) with the error, as Lambda does.

On Lambda every invocation has a processor of its own; here they share one interpreter. The
change feed's consumers (search, reports) keep derived views and can wait: :meth:`Functions.busy`
tells the feed whether *foreground* work runs or is queued, so that it can let it go first
(tessera_local.streams). Foreground is what a burst of mail is made of: the asynchronous
invocations (SES's intake of each mail, the schedules) and the Step Functions tasks (routing,
assignment, the acknowledgement). API requests are not: a team's consoles ask all day, and
search must not wait for them to stop.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from tessera_local import iam
from tessera_local.template import Template

if TYPE_CHECKING:
    from tessera_local.workers import WorkerPool

log = logging.getLogger("tessera.local.lambda")

Handler = Callable[[dict[str, Any], Any], Any]

ASYNC_RETRIES = 2  # as Lambda does for asynchronous invocations
RETRY_DELAY = 0.5  # seconds before the first retry, doubled each time (Lambda: about a minute)


class FunctionError(Exception):
    """A function run in a worker process raised: its exception's type name and message (the
    exception itself stays in the worker, as Lambda reports only these), and the CPU it used."""

    def __init__(self, error_type: str, message: str, cpu_seconds: float = 0.0) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.cpu_seconds = cpu_seconds

    def __repr__(self) -> str:
        return f"{self.error_type}({str(self)!r})"


def error_type(error: BaseException) -> str:
    """The name Lambda reports for an error (``errorType``)."""
    return error.error_type if isinstance(error, FunctionError) else type(error).__name__


def error_payload(error: BaseException) -> dict[str, str]:
    """The payload Lambda's ``Invoke`` answers for a function's unhandled error."""
    return {"errorType": error_type(error), "errorMessage": str(error)}


@dataclass
class LambdaContext:
    """The attributes of the context object Lambda passes that handlers may read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    timeout_seconds: int
    started: float

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started + self.timeout_seconds - time.monotonic()) * 1000))


class Functions:
    """The template's functions by local name, callable in-process."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self._handlers: dict[str, tuple[str, Handler]] = {}
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lambda-async")
        self.failures: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._foreground = 0  # foreground invocations running or queued
        self._foreground_ended = 0.0  # time.monotonic() when the last one ended
        # Set by the stack once the emulator runs: sends a message to an SQS queue by ARN.
        self.send_to_queue: Callable[[str, str, dict[str, str]], None] | None = None
        # Told of every invocation: (name, event, wall seconds, CPU seconds) (tessera_local.usage).
        self.on_invoked: Callable[[str, dict[str, Any], float, float], None] | None = None
        # Set by the stack to run the handlers in worker processes (tessera_local.workers).
        self.workers: WorkerPool | None = None
        for logical_id in template.of_type("AWS::Serverless::Function"):
            handler_path = template.function_properties(logical_id)["Handler"]
            module_name, _, attribute = handler_path.rpartition(".")
            handler = getattr(importlib.import_module(module_name), attribute)
            self._handlers[template.ref(logical_id)] = (logical_id, handler)

    def environment(self) -> dict[str, str]:
        """The union of every function's environment variables, resolved.

        The functions share this process, so they share one environment; two functions that
        disagree on a variable's value cannot run locally, and that is refused here.
        """
        merged: dict[str, str] = {}
        for logical_id, _ in self._handlers.values():
            props = self.template.function_properties(logical_id)
            variables = self.template.resolve(props.get("Environment", {}).get("Variables", {}))
            for name, value in variables.items():
                if merged.get(name, value) != value:
                    raise ValueError(f"functions disagree on environment variable {name}")
                merged[name] = str(value)
        return merged

    def busy(self, quiet: float) -> bool:
        """Whether foreground work runs or waits, or ended less than ``quiet`` seconds ago (the
        next step of a workflow follows its last within that)."""
        with self._lock:
            return self._foreground > 0 or time.monotonic() - self._foreground_ended < quiet

    @contextmanager
    def foreground(self) -> Iterator[None]:
        """Foreground work runs within the block (a workflow's step; see the module's doc)."""
        with self._lock:
            self._foreground += 1
        try:
            yield
        finally:
            self._foreground_over()

    def _foreground_over(self) -> None:
        with self._lock:
            self._foreground -= 1
            self._foreground_ended = time.monotonic()

    def invoke(self, name: str, event: dict[str, Any], *, foreground: bool = False) -> Any:
        """Call a function synchronously (RequestResponse); exceptions propagate.
        ``foreground``: work the change feed lets go first (:meth:`busy`)."""
        if not foreground:
            return self._timed(name, event)
        with self.foreground():
            return self._timed(name, event)

    def _timed(self, name: str, event: dict[str, Any]) -> Any:
        """One invocation, reported to :attr:`on_invoked` with its wall time and CPU time (this
        thread's, and a worker process's when one ran it)."""
        started, cpu = time.perf_counter(), time.thread_time()
        elsewhere = 0.0
        try:
            if self.workers is None:
                return self._call(name, event)
            result, elsewhere = self._call_in_worker(name, event)
            return result
        except FunctionError as error:
            elsewhere = error.cpu_seconds
            raise
        finally:
            if self.on_invoked is not None:
                seconds = time.perf_counter() - started
                self.on_invoked(name, event, seconds, time.thread_time() - cpu + elsewhere)

    def _context(self, name: str, logical_id: str) -> LambdaContext:
        props = self.template.function_properties(logical_id)
        return LambdaContext(
            function_name=name.rsplit(":", 1)[-1],
            invoked_function_arn=self.template.get_att(logical_id, "Arn"),
            memory_limit_in_mb=int(props.get("MemorySize", 128)),
            aws_request_id=str(uuid.uuid4()),
            timeout_seconds=int(props.get("Timeout", 3)),
            started=time.monotonic(),
        )

    def _call(self, name: str, event: dict[str, Any]) -> Any:
        logical_id, handler = self._handler(name)
        context = self._context(name, logical_id)
        with iam.running(logical_id):
            return handler(event, context)

    def _call_in_worker(self, name: str, event: dict[str, Any]) -> tuple[Any, float]:
        assert self.workers is not None
        logical_id, _ = self._handler(name)
        handler_path = self.template.function_properties(logical_id)["Handler"]
        context = asdict(self._context(name, logical_id))
        return self.workers.run(handler_path, logical_id, event, context)

    def invoke_async(
        self,
        name: str,
        event: dict[str, Any],
        *,
        on_done: Callable[[], None] | None = None,
        dead_letter_arn: str | None = None,
        retries: int | None = None,
    ) -> None:
        """Call a function as an Event invocation: returns at once; retried on error, then the
        event goes to the dead-letter queue (``dead_letter_arn``, else the function's own).
        ``on_done`` runs when the invocation succeeded or its event is in the queue."""
        with self._lock:
            self._foreground += 1  # queued: foreground work waiting for a worker
        try:
            self._pool.submit(self._run_async, name, event, on_done, dead_letter_arn, retries)
        except BaseException:  # not queued (the pool is shut down): not waiting either
            with self._lock:
                self._foreground -= 1
            raise

    def _run_async(
        self,
        name: str,
        event: dict[str, Any],
        on_done: Callable[[], None] | None,
        dead_letter_arn: str | None,
        retries: int | None,
    ) -> None:
        try:
            logical_id, _ = self._handler(name)
            props = self.template.function_properties(logical_id)
            if retries is None:
                retries = int(
                    props.get("EventInvokeConfig", {}).get("MaximumRetryAttempts", ASYNC_RETRIES)
                )
            dead_letter_arn = dead_letter_arn or self.template.resolve(
                props.get("DeadLetterQueue", {}).get("TargetArn")
            )
            for attempt in range(retries + 1):
                try:
                    self.invoke(name, event)
                except Exception as error:
                    log.error("%s failed (attempt %d): %s", name, attempt + 1, error)
                    log.debug("%s", traceback.format_exc())
                    if attempt == retries:
                        self._dead_letter(name, event, error, dead_letter_arn)
                    else:
                        time.sleep(RETRY_DELAY * 2**attempt)
                else:
                    break
            if on_done is not None:
                on_done()
        finally:
            self._foreground_over()  # queued by invoke_async as foreground work, and now done

    def _dead_letter(
        self, name: str, event: dict[str, Any], error: Exception, queue_arn: str | None
    ) -> None:
        with self._lock:
            self.failures.append({"function": name, "error": repr(error)})
        if not queue_arn or self.send_to_queue is None:
            log.error("%s: retries exhausted and no dead-letter queue; the event is dropped", name)
            return
        attributes = {"ErrorCode": "200", "ErrorMessage": f"{error_type(error)}: {error}"}
        self.send_to_queue(queue_arn, json.dumps(event), attributes)
        log.warning("%s: retries exhausted; the event is in %s", name, queue_arn)

    def logical_id(self, name: str) -> str:
        """The template's logical id of the function called ``name``."""
        return self._handler(name)[0]

    def _handler(self, name: str) -> tuple[str, Handler]:
        function_name = name.rsplit(":", 1)[-1]
        try:
            return self._handlers[function_name]
        except KeyError:
            raise LookupError(f"no function {function_name} in template.yaml") from None

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)


def install(functions: Functions) -> None:
    """Route moto's simple Lambda backend (Step Functions tasks, a function's ``Invoke``) to
    ``functions``: a ``RequestResponse`` invocation answers the result, an ``Event`` one is
    queued (:meth:`Functions.invoke_async`, retried and dead-lettered) and answered at once."""
    from moto.awslambda_simple.models import LambdaSimpleBackend

    def invoke(
        backend: Any,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: dict[str, str],
    ) -> bytes:
        event = json.loads(body) if body else {}
        if headers.get("X-Amz-Invocation-Type") == "Event":  # Lambda queues it and answers 202
            functions.invoke_async(function_name, event)
            return b""
        try:
            result = functions.invoke(function_name, event, foreground=True)  # a workflow's step
        except Exception as error:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(error_payload(error)).encode()
        return json.dumps(result, default=str).encode()

    LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign,assignment]

    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    def invoke_for_task(parameters: dict[str, Any], region: str, state_credentials: Any) -> Any:
        """A Step Functions task's ``lambda:invoke``, handed to the function as moto's client
        call would hand it (through the emulator's Lambda API, to :func:`invoke` above), without
        the client: the answer Lambda's ``Invoke`` gives, its payload parsed."""
        payload = parameters.get("Payload")
        event = json.loads(payload) if payload else {}
        answer: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
        try:
            result = functions.invoke(str(parameters["FunctionName"]), event, foreground=True)
        except Exception as error:
            answer["FunctionError"] = "Unhandled"
            answer["Payload"] = error_payload(error)
            return answer
        answer["Payload"] = json.loads(json.dumps(result, default=str))  # as it went over JSON
        return answer

    lambda_eval_utils._invoke_lambda_function = invoke_for_task

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
from dataclasses import dataclass
from typing import Any

from tessera_local import iam
from tessera_local.template import Template

log = logging.getLogger("tessera.local.lambda")

Handler = Callable[[dict[str, Any], Any], Any]

ASYNC_RETRIES = 2  # as Lambda does for asynchronous invocations
RETRY_DELAY = 0.5  # seconds before the first retry, doubled each time (Lambda: about a minute)


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
            return self._call(name, event)
        with self.foreground():
            return self._call(name, event)

    def _call(self, name: str, event: dict[str, Any]) -> Any:
        function_name = name.rsplit(":", 1)[-1]
        logical_id, handler = self._handler(name)
        props = self.template.function_properties(logical_id)
        context = LambdaContext(
            function_name=function_name,
            invoked_function_arn=self.template.get_att(logical_id, "Arn"),
            memory_limit_in_mb=int(props.get("MemorySize", 128)),
            aws_request_id=str(uuid.uuid4()),
            timeout_seconds=int(props.get("Timeout", 3)),
            started=time.monotonic(),
        )
        with iam.running(logical_id):
            return handler(event, context)

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
        attributes = {"ErrorCode": "200", "ErrorMessage": f"{type(error).__name__}: {error}"}
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
    """Route moto's simple Lambda backend (used by Step Functions tasks) to ``functions``."""
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
        try:
            result = functions.invoke(function_name, event, foreground=True)  # a workflow's step
        except Exception as error:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(
                {"errorType": type(error).__name__, "errorMessage": str(error)}
            ).encode()
        return json.dumps(result, default=str).encode()

    LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign,assignment]

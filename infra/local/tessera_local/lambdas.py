"""Run the template's Lambda functions in this process.

Every ``AWS::Serverless::Function`` in template.yaml is registered under its local name with the
handler its ``Handler`` property names. Step Functions tasks reach moto's simple Lambda backend;
:func:`install` makes that backend call the real handler instead of echoing its input. The SMTP
server and the clock call :meth:`Functions.invoke_async` the way SES and EventBridge would.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from tessera_local import iam
from tessera_local.template import Template

log = logging.getLogger("tessera.local.lambda")

Handler = Callable[[dict[str, Any], Any], Any]

ASYNC_RETRIES = 2  # as Lambda does for asynchronous invocations


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

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        """Call a function synchronously (RequestResponse); exceptions propagate."""
        function_name = name.rsplit(":", 1)[-1]
        try:
            logical_id, handler = self._handlers[function_name]
        except KeyError:
            raise LookupError(f"no function {function_name} in template.yaml") from None
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

    def invoke_async(self, name: str, event: dict[str, Any]) -> None:
        """Call a function as an Event invocation: returns at once, retried twice on error."""
        self._pool.submit(self._run_async, name, event)

    def _run_async(self, name: str, event: dict[str, Any]) -> None:
        for attempt in range(ASYNC_RETRIES + 1):
            try:
                self.invoke(name, event)
            except Exception as error:
                log.error("%s failed (attempt %d): %s", name, attempt + 1, error)
                log.debug("%s", traceback.format_exc())
                if attempt == ASYNC_RETRIES:
                    with self._lock:
                        self.failures.append({"function": name, "error": repr(error)})
                else:
                    time.sleep(0.5 * (attempt + 1))
            else:
                return

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
            result = functions.invoke(function_name, event)
        except Exception as error:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(
                {"errorType": type(error).__name__, "errorMessage": str(error)}
            ).encode()
        return json.dumps(result, default=str).encode()

    LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign,assignment]

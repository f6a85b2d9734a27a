"""What the stack's functions used, counted the way AWS bills it (``GET /_local/usage``).

The meter sits where the local stack hands work to the emulated AWS:

- every botocore call in this process and in the worker processes (boto3's and PynamoDB's
  clients; a worker meters its calls with a :class:`Meter` of its own and sends what it counted
  with each answer, :meth:`Meter.take` and :meth:`Meter.merge`, but for its DynamoDB calls,
  which the emulator meters, :func:`meter_worker_calls`), by the function that
  made it (or ``(stack)``: the stack itself, e.g. SES's S3 action storing inbound mail), with the
  DynamoDB capacity units it costs (1 KB per write unit, 4 KB per read unit, halved for an
  eventually consistent read, doubled in a transaction; item sizes from the request, the answer,
  or the stored item), S3 bytes in and out, SES messages and bytes, SMS published;
- every Lambda invocation (``Functions.invoke``): its duration as the proxy for the
  billed duration (and the handler thread's CPU time beside it, in its worker: a busy machine
  stretches the wall time, not the CPU time), the template's memory size, whether API Gateway
  sent it, whether it starts an X-Ray trace (an entry point of a function with
  ``Tracing: Active``), and the log lines Lambda itself would write (START, END, REPORT);
- every log record a function emitted at INFO or above (the template's ``LOG_LEVEL``), as the
  bytes CloudWatch Logs would ingest;
- every mail the SMTP server (SES inbound) delivered, and its size.

``GET /_local/usage`` answers the counts; ``?reset=1`` answers them and starts from zero.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from tessera_local import iam
from tessera_local.template import ACCOUNT_ID, REGION, Template

STACK = "(stack)"  # calls made outside any function: the emulated SES, the HTTP server
LOG_LEVEL = logging.INFO  # template.yaml's Globals: LOG_LEVEL INFO
WRITE_UNIT, READ_UNIT = 1024, 4096


def attribute_size(value: dict[str, Any]) -> int:
    """Bytes DynamoDB counts for one attribute value (wire format: ``{"S": "..."}``)."""
    (kind, raw), *_ = value.items()
    if kind in {"S"}:
        return len(str(raw).encode())
    if kind == "N":
        return math.ceil(len(str(raw).lstrip("-").replace(".", "")) / 2) + 1
    if kind == "B":
        return len(raw) if isinstance(raw, bytes | bytearray) else len(str(raw))
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind == "SS":
        return sum(len(str(v).encode()) for v in raw)
    if kind == "NS":
        return sum(math.ceil(len(str(v)) / 2) + 1 for v in raw)
    if kind == "BS":
        return sum(len(v) for v in raw)
    if kind == "L":
        return 3 + sum(1 + attribute_size(v) for v in raw)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + attribute_size(v) for k, v in raw.items())
    return len(str(raw))


def item_size(item: dict[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def _stored_size(table: str, key: dict[str, Any]) -> int:
    """The size of the item the emulated table holds under ``key`` (0 when there is none)."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    try:
        stored = dynamodb_backends[ACCOUNT_ID][REGION].get_table(table)
        hash_value = DynamoType(key[stored.hash_key_attr])
        range_value = DynamoType(key[stored.range_key_attr]) if stored.range_key_attr else None
        found = stored.get_item(hash_value, range_value)
    except Exception:  # a missing table or key: the call itself will say so
        return 0
    return int(found.size()) if found is not None else 0


def _write_units(size: int) -> int:
    return max(1, math.ceil(size / WRITE_UNIT))


def _read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / READ_UNIT))
    return float(units) if consistent else units / 2


class Meter:
    def __init__(self, template: Template) -> None:
        self.template = template
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.started = time.time()
            self.calls: Counter[tuple[str, str, str]] = Counter()
            self.amounts: Counter[str] = Counter()  # read_units, s3_bytes_in, ses_bytes_out, ...
            self.invocations: dict[str, dict[str, float]] = {}
            self.log_bytes: Counter[str] = Counter()

    def snapshot(self) -> dict[str, Any]:
        """The counts so far, as ``GET /_local/usage`` answers them."""
        with self._lock:
            return {
                "since": self.started,
                "seconds": time.time() - self.started,
                "calls": [
                    {"function": f, "service": s, "operation": o, "count": n}
                    for (f, s, o), n in sorted(self.calls.items())
                ],
                "amounts": dict(sorted(self.amounts.items())),
                "invocations": {name: dict(v) for name, v in sorted(self.invocations.items())},
                "log_bytes": dict(sorted(self.log_bytes.items())),
            }

    def take(self) -> dict[str, Any]:
        """The counts so far as plain data, and start from zero (a worker's share, sent to the
        stack's meter with an invocation's answer)."""
        with self._lock:
            taken = {
                "calls": dict(self.calls),
                "amounts": dict(self.amounts),
                "log_bytes": dict(self.log_bytes),
            }
            self.calls, self.amounts, self.log_bytes = Counter(), Counter(), Counter()
        return taken

    def merge(self, taken: dict[str, Any]) -> None:
        """Add counts :meth:`take` made elsewhere."""
        with self._lock:
            self.calls.update(taken["calls"])
            self.amounts.update(taken["amounts"])
            self.log_bytes.update(taken["log_bytes"])

    def _add(self, name: str, amount: float) -> None:
        self.amounts[name] += amount  # type: ignore[assignment]

    # -- AWS calls ----------------------------------------------------------------------------
    def around_call(self, service: str, operation: str, params: dict[str, Any], call: Any) -> Any:
        function = iam.current_function() or STACK
        before = self._size_before(service, operation, params)
        uploaded = _body_size(params.get("Body", b"")) if service == "s3" else 0  # read by the call
        result = call()
        with self._lock:
            self.calls[(function, service, operation)] += 1
            if service == "dynamodb":
                self._dynamodb(operation, params, result, before)
            elif service == "s3":
                self._s3(operation, uploaded, result)
            elif service == "ses":
                self._ses(operation, params)
            elif service == "sns" and params.get("PhoneNumber"):
                self._add("sms_messages", 1)
        return result

    def _size_before(self, service: str, operation: str, params: dict[str, Any]) -> Any:
        if service != "dynamodb":
            return None
        if operation in {"PutItem", "UpdateItem", "DeleteItem"}:
            key = params.get("Key") or _key_of(params["TableName"], params.get("Item", {}))
            return _stored_size(params["TableName"], key)
        if operation == "TransactWriteItems":
            sizes = []
            for entry in params["TransactItems"]:
                for kind, spec in entry.items():
                    key = spec.get("Key") or _key_of(spec["TableName"], spec.get("Item", {}))
                    sizes.append((kind, spec, _stored_size(spec["TableName"], key)))
            return sizes
        return None

    def _dynamodb(self, operation: str, params: dict[str, Any], result: Any, before: Any) -> None:
        consistent = bool(params.get("ConsistentRead"))
        if operation in {"PutItem", "UpdateItem", "DeleteItem"}:
            table = params["TableName"]
            key = params.get("Key") or _key_of(table, params.get("Item", {}))
            after = item_size(params["Item"]) if operation == "PutItem" else 0
            if operation == "UpdateItem":
                after = _stored_size(table, key)
            self._add("dynamodb_write_units", _write_units(max(before or 0, after)))
        elif operation == "TransactWriteItems":
            for kind, spec, size in before:
                if kind == "Put":
                    size = max(size, item_size(spec["Item"]))
                elif kind == "Update":
                    size = max(size, _stored_size(spec["TableName"], spec["Key"]))
                # ConditionCheck is a read (but billed as a write unit inside a transaction).
                self._add("dynamodb_write_units", 2 * _write_units(size))
        elif operation == "BatchWriteItem":
            for requests in params.get("RequestItems", {}).values():
                for request in requests:
                    item = request.get("PutRequest", {}).get("Item")
                    self._add("dynamodb_write_units", _write_units(item_size(item)))
        elif operation == "GetItem":
            size = item_size(result.get("Item"))
            self._add("dynamodb_read_units", _read_units(size, consistent))
        elif operation in {"Query", "Scan"}:
            size = sum(item_size(item) for item in result.get("Items", []))
            self._add("dynamodb_read_units", _read_units(size, consistent))
            self._add("dynamodb_items_read", len(result.get("Items", [])))
        elif operation == "BatchGetItem":
            for items in result.get("Responses", {}).values():
                for item in items:
                    self._add("dynamodb_read_units", _read_units(item_size(item), consistent))
        elif operation == "TransactGetItems":
            for response in result.get("Responses", []):
                self._add(
                    "dynamodb_read_units", 2 * _read_units(item_size(response.get("Item")), True)
                )

    def _s3(self, operation: str, uploaded: int, result: Any) -> None:
        if operation in {"PutObject", "UploadPart"}:
            self._add("s3_bytes_in", uploaded)
        elif operation == "GetObject":
            self._add("s3_bytes_out", int(result.get("ContentLength") or 0))

    def _ses(self, operation: str, params: dict[str, Any]) -> None:
        if operation == "SendRawEmail":  # SES bills each recipient as one message
            self._add("ses_messages_out", max(1, len(params.get("Destinations", []))))
            self._add("ses_bytes_out", len(params["RawMessage"]["Data"]))
        elif operation == "SendEmail":
            destination = params.get("Destination", {})
            recipients = sum(len(destination.get(k, [])) for k in ("ToAddresses", "CcAddresses"))
            message = params.get("Message", {})
            size = len(str(message).encode())
            self._add("ses_messages_out", max(1, recipients))
            self._add("ses_bytes_out", size)

    # -- Lambda invocations -------------------------------------------------------------------
    def invoked(
        self, function: str, event: dict[str, Any], seconds: float, cpu_seconds: float = 0.0
    ) -> None:
        logical_id = function.rsplit(":", 1)[-1]
        for candidate in self.template.of_type("AWS::Serverless::Function"):
            if self.template.ref(candidate) == logical_id:
                logical_id = candidate
        memory = int(self.template.function_properties(logical_id).get("MemorySize", 128))
        billed_ms = max(1, math.ceil(seconds * 1000))
        with self._lock:
            entry = self.invocations.setdefault(
                logical_id,
                {"count": 0, "billed_ms": 0, "cpu_ms": 0, "memory_mb": memory, "api_requests": 0},
            )
            entry["count"] += 1
            entry["billed_ms"] += billed_ms
            entry["cpu_ms"] += cpu_seconds * 1000
            if "httpMethod" in event:
                entry["api_requests"] += 1
            if _entry_point(event) and self._traced(logical_id):
                self._add("xray_traces", 1)  # a Step Functions task joins its execution's trace
            self.log_bytes[logical_id] += len(_platform_lines(seconds, billed_ms, memory))

    def _traced(self, logical_id: str) -> bool:
        return self.template.function_properties(logical_id).get("Tracing") == "Active"

    # -- inbound mail -------------------------------------------------------------------------
    def received(self, raw: bytes) -> None:
        with self._lock:
            self._add("ses_messages_in", 1)
            self._add("ses_bytes_in", len(raw))
            self._add("ses_chunks_in", max(1, math.ceil(len(raw) / (256 * 1024))))

    # -- logs ---------------------------------------------------------------------------------
    def logged(self, size: int) -> None:
        function = iam.current_function()
        if function is None:
            return
        with self._lock:
            self.log_bytes[function] += size


def _entry_point(event: dict[str, Any]) -> bool:
    """Whether an invocation starts a trace: API Gateway, SES, a schedule or an event source
    (a stream, a queue) sent it — not a Step Functions task, which joins its execution's."""
    records = event.get("Records") or [{}]
    return (
        "httpMethod" in event
        or event.get("source") == "aws.scheduler"
        or records[0].get("eventSource") in {"aws:ses", "aws:dynamodb", "aws:sqs"}
    )


def _body_size(body: Any) -> int:
    if isinstance(body, str):
        return len(body.encode())
    if isinstance(body, bytes | bytearray | memoryview):
        return len(body)
    if hasattr(body, "seek") and hasattr(body, "tell"):  # a file: its size from here to the end
        at = body.tell()
        end = body.seek(0, 2)
        body.seek(at)
        return int(end - at)
    return 0


def _key_of(table: str, item: dict[str, Any]) -> dict[str, Any]:
    return {name: item[name] for name in ("pk", "sk") if name in item}


def _platform_lines(seconds: float, billed_ms: int, memory: int) -> str:
    """The lines Lambda writes to the function's log group for every invocation."""
    request = "00000000-0000-0000-0000-000000000000"
    return (
        f"START RequestId: {request} Version: $LATEST\n"
        f"END RequestId: {request}\n"
        f"REPORT RequestId: {request}\tDuration: {seconds * 1000:.2f} ms\t"
        f"Billed Duration: {billed_ms} ms\tMemory Size: {memory} MB\tMax Memory Used: 120 MB\t\n"
        "XRAY TraceId: 1-00000000-000000000000000000000000\tSegmentId: 0000000000000000\t"
        "Sampled: true\t\n"
    )


class _LogCounter(logging.Handler):
    """Counts the bytes of every record a function logs, formatted as its own handler does."""

    def __init__(self, meter: Meter, level: int) -> None:
        super().__init__(level=level)
        self.meter = meter

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("tessera.local") or getattr(record, "_metered", False):
            return
        record._metered = True
        formatter = next(
            (h.formatter for h in logging.getLogger(record.name).handlers if h.formatter), None
        )
        text = formatter or logging.Formatter("[%(levelname)s]\t%(asctime)s\t%(message)s")
        self.meter.logged(len(text.format(record).encode()) + 1)


def meter_calls(meter: Meter, *, skip: Callable[[str, str], bool] | None = None) -> None:
    """Meter every botocore call this process makes, but those ``skip(service, operation)``
    says another meters."""
    from botocore.client import BaseClient

    client_class: Any = BaseClient
    original = client_class._make_api_call

    def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
        service = client.meta.service_model.service_name
        if skip is not None and skip(service, operation):
            return original(client, operation, params)
        return meter.around_call(
            service, operation, params, lambda: original(client, operation, params)
        )

    client_class._make_api_call = make_api_call


# The DynamoDB calls whose capacity depends on the item stored before (or after) them: metered
# where the stored items are (the emulator) when a worker process makes them.
STORED_SIZE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"})


def metered_by_emulator(service: str, operation: str) -> bool:
    """Whether the emulator meters this call of a worker's function (:func:`meter_worker_calls`)."""
    return service == "dynamodb" and operation in STORED_SIZE_OPERATIONS


def count_logs(meter: Meter) -> None:
    """Count the bytes of what the functions log in this process."""
    # Powertools' logger ("tessera", LOG_LEVEL) does not propagate to the root, whose level in
    # Lambda's Python runtime is WARNING. It is created first: powertools takes the logger's
    # first handler for its own (append_keys on its formatter), so the counter must come after.
    from tessera.observability import logger

    logger()
    logging.getLogger("tessera").addHandler(_LogCounter(meter, LOG_LEVEL))
    logging.getLogger().addHandler(_LogCounter(meter, logging.WARNING))


def install(template: Template, functions: Any) -> Meter:
    """Meter every botocore call in this process and every invocation of ``functions``."""
    meter = Meter(template)
    meter_calls(meter)
    functions.on_invoked = meter.invoked
    count_logs(meter)
    return meter


def meter_worker_calls(meter: Meter) -> Any:
    """What the emulator calls around a request a worker process's function sent
    (tessera_local.workers): the writes whose capacity depends on the item stored before them
    are metered here, where the stored items are (:func:`metered_by_emulator`); the worker meters
    its other calls itself and sends the counts with each invocation's answer."""

    def around(function: str, operation: str, body: bytes, serve: Any) -> Any:
        if not metered_by_emulator("dynamodb", operation):
            return serve()
        served: list[Any] = []

        def call() -> Any:
            served.append(serve())
            if int(served[0][0].split(" ", 1)[0]) >= 400:
                raise _NotServed  # as botocore raises: the call is not counted
            return {}  # a write's units come from the request and the stored items

        with iam.running(function), contextlib.suppress(_NotServed):
            meter.around_call("dynamodb", operation, json.loads(body or b"{}"), call)
        return served[0]

    return around


class _NotServed(Exception):
    pass


def watch_inbound(meter: Meter, inbound: Any) -> None:
    """Count the mail the SMTP server (SES inbound) delivers."""
    deliver = inbound.deliver

    def metered_deliver(mail: Any) -> None:
        meter.received(mail.raw)
        deliver(mail)

    inbound.deliver = metered_deliver

"""Deliver DynamoDB Streams records to the functions subscribed to them, as Lambda's event source
mapping does (moto records a table's stream but delivers nothing).

Every ``Type: DynamoDB`` event of a function in template.yaml is one :class:`Subscription`: its
table's stream records go to the handler in batches of ``BatchSize``, oldest first (one shard per
table, so in order per partition), waiting up to ``MaximumBatchingWindowInSeconds`` for a batch
to fill. A failing batch is retried (``MaximumRetryAttempts``, -1 = until it succeeds, doubling
the wait), split in halves first when ``BisectBatchOnFunctionError`` is set; a batch that keeps
failing is described on the ``DestinationConfig.OnFailure`` queue (as Lambda does, where it was in
the stream, not the records) and the feed moves on. ``FilterCriteria`` patterns are matched
against each record as Lambda's event filtering does: a record no pattern matches is never
delivered, and the checkpoint moves past it.

The consumers keep derived views (search, reports); on Lambda they run beside the rest, here they
share one interpreter with it. So a batch ready to go waits while foreground work runs (a mail's
intake and routing, a schedule: :meth:`~tessera_local.lambdas.Functions.busy`), for at most
``MAX_DEFER_SECONDS``: a burst of mail is routed and acknowledged first, and its tickets reach
search and reports in a few large batches after it (most tickets counted once, in their routed
state), or every ``MAX_DEFER_SECONDS`` while the burst lasts.

Durable: each subscription's checkpoint (the sequence number of the last record handled) is
written and flushed after its batch, so a restart or a crash delivers from there: nothing is lost,
and what was delivered but not checkpointed comes again (consumers are idempotent). The stream
itself lives in the emulated table and is restored with it (snapshot + journal). What every
subscriber of a table has handled is trimmed from moto's in-memory shard, so memory does not grow
with each change. Sequence numbers stay stable: moto numbers a record by the shard's starting
number plus the records it holds, and a trim moves the starting number by the records it removes.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tessera_local.lambdas import Functions, error_type
from tessera_local.moto_costs import PackedStreamRecord, json_ready
from tessera_local.template import ACCOUNT_ID, REGION, Template, TemplateError

log = logging.getLogger("tessera.local.streams")

CHECKPOINTS = "stream-checkpoints.json"
POLL_SECONDS = 1.0
RETRY_DELAY = 0.5  # seconds before the first retry of a failed batch, doubled each time
MAX_RETRY_DELAY = 10.0
MAX_DEFER_SECONDS = 15.0  # the longest a ready batch waits for foreground work to end
QUIET_SECONDS = 0.5  # foreground work ended this long ago is over (a workflow's steps are closer)

_SUPPORTED = {
    "Stream",
    "StartingPosition",
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "DestinationConfig",
    "Enabled",
    "FilterCriteria",
}
# Lambda's event filtering operators run locally: an exact value (a string, number, bool or
# null in the list), {"prefix": "..."}, {"exists": true|false}, {"anything-but": [...]}.
_OPERATORS = {"prefix", "exists", "anything-but"}
_ABSENT = object()


@dataclass(frozen=True)
class Subscription:
    """One function's event source mapping on one table's stream."""

    function: str  # the local function name
    event: str  # the event's name in template.yaml
    table: str  # the table's physical name
    stream_arn: str
    starting_position: str = "TRIM_HORIZON"
    batch_size: int = 100
    window_seconds: float = 0.0
    bisect: bool = False
    retries: int = -1  # Lambda's default for streams: until the record expires
    on_failure_arn: str | None = None
    filters: tuple[dict[str, Any], ...] = ()  # FilterCriteria's patterns; none: every record

    def wants(self, record: dict[str, Any]) -> bool:
        """Whether ``record`` (Lambda's form) passes the mapping's filters (any one of them)."""
        return not self.filters or any(_matches(p, record) for p in self.filters)

    @property
    def key(self) -> str:
        return f"{self.function}.{self.event}"


def subscriptions(template: Template) -> list[Subscription]:
    """Every ``Type: DynamoDB`` event of the template's functions."""
    found = []
    for logical_id in template.of_type("AWS::Serverless::Function"):
        for name, event in template.function_properties(logical_id).get("Events", {}).items():
            if event["Type"] != "DynamoDB":
                continue
            raw = event["Properties"]
            unknown = sorted(set(raw) - _SUPPORTED)
            if unknown:
                raise TemplateError(f"{logical_id}.{name}: not run locally: {', '.join(unknown)}")
            stream = raw["Stream"]
            if not (isinstance(stream, dict) and "Fn::GetAtt" in stream):
                raise TemplateError(
                    f"{logical_id}.{name}: Stream must be !GetAtt <Table>.StreamArn"
                )
            table_id, attribute = stream["Fn::GetAtt"]
            if attribute != "StreamArn":
                raise TemplateError(f"{logical_id}.{name}: Stream must be a table's StreamArn")
            properties = template.resolve(raw)
            if properties.get("Enabled") is False:
                continue
            found.append(
                Subscription(
                    function=template.ref(logical_id),
                    event=name,
                    table=template.ref(table_id),
                    stream_arn=properties["Stream"],
                    starting_position=properties.get("StartingPosition", "TRIM_HORIZON"),
                    batch_size=int(properties.get("BatchSize", 100)),
                    window_seconds=float(properties.get("MaximumBatchingWindowInSeconds", 0)),
                    bisect=bool(properties.get("BisectBatchOnFunctionError", False)),
                    retries=int(properties.get("MaximumRetryAttempts", -1)),
                    on_failure_arn=properties.get("DestinationConfig", {})
                    .get("OnFailure", {})
                    .get("Destination"),
                    filters=_patterns(f"{logical_id}.{name}", properties.get("FilterCriteria")),
                )
            )
    return found


def _patterns(where: str, criteria: Any) -> tuple[dict[str, Any], ...]:
    """``FilterCriteria.Filters[].Pattern`` (JSON texts), parsed and checked."""
    if criteria is None:
        return ()
    patterns = []
    for index, entry in enumerate(criteria.get("Filters", [])):
        place = f"{where}.FilterCriteria.Filters[{index}].Pattern"
        try:
            pattern = json.loads(entry["Pattern"])
        except (KeyError, TypeError, ValueError) as error:
            raise TemplateError(f"{place}: not a JSON pattern ({error})") from None
        _check_pattern(place, pattern)
        patterns.append(pattern)
    return tuple(patterns)


def _check_pattern(place: str, pattern: Any) -> None:
    if not isinstance(pattern, dict) or not pattern:
        raise TemplateError(f"{place}: a pattern is a non-empty JSON object")
    for name, rule in pattern.items():
        if isinstance(rule, dict):
            _check_pattern(f"{place}.{name}", rule)
            continue
        if not isinstance(rule, list) or not rule:
            raise TemplateError(f"{place}.{name}: a non-empty list of values or an object")
        for value in rule:
            if isinstance(value, dict) and (len(value) != 1 or not set(value) <= _OPERATORS):
                raise TemplateError(
                    f"{place}.{name}: {json.dumps(value)} is not run locally "
                    f"(operators: {', '.join(sorted(_OPERATORS))})"
                )


def _matches(pattern: dict[str, Any], value: Any) -> bool:
    """Event filtering's match: every field of the pattern matches the record's field; a list
    matches when any of its values does (against any element of a list in the record)."""
    if not isinstance(value, dict):
        return False
    for name, rule in pattern.items():
        found = value.get(name, _ABSENT)
        if isinstance(rule, dict):
            if not _matches(rule, found):
                return False
        elif not any(_value_matches(one, found) for one in rule):
            return False
    return True


def _value_matches(rule: Any, found: Any) -> bool:
    if isinstance(rule, dict):
        ((operator, argument),) = rule.items()
        if operator == "exists":
            return (found is not _ABSENT) is bool(argument)
        if found is _ABSENT:
            return False
        candidates = found if isinstance(found, list) else [found]
        if operator == "prefix":
            return any(isinstance(c, str) and c.startswith(argument) for c in candidates)
        excluded = argument if isinstance(argument, list) else [argument]  # anything-but
        return all(c not in excluded for c in candidates)
    if found is _ABSENT:
        return False
    candidates = found if isinstance(found, list) else [found]
    return any(c == rule and isinstance(c, bool) == isinstance(rule, bool) for c in candidates)


class Checkpoints:
    """The last sequence number each subscription handled, in one JSON file, flushed on every
    change (write a temporary file, fsync, rename)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._values: dict[str, int] = (
            json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        )

    def get(self, key: str) -> int | None:
        with self._lock:
            return self._values.get(key)

    def set(self, key: str, sequence: int) -> None:
        with self._lock:
            self._values[key] = sequence
            temporary = self.path.with_suffix(".tmp")
            with open(temporary, "w", encoding="utf-8") as file:
                json.dump(self._values, file, sort_keys=True)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)

    def discard(self) -> None:
        with self._lock:
            self._values = {}
            self.path.unlink(missing_ok=True)


# ------------------------------------------------------------------ moto's stream shard
def _shard(table: str) -> Any:
    from moto.backends import get_backend

    backend = get_backend("dynamodb")[ACCOUNT_ID][REGION]
    shard = backend.tables[table].stream_shard
    if shard is None:
        raise TemplateError(f"table {table} has no StreamSpecification")
    return shard


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """moto's stream record as Lambda's DynamoDB event carries it. ``record`` must be the
    caller's own: its keys and images, plain JSON values already (moto's ``Item.to_json``), are
    handed on as they are (a JSON round trip of each was 4 % of the stack's time under a burst)."""
    stream = dict(record["dynamodb"])
    created = stream.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        stream["ApproximateCreationDateTime"] = int(created.replace(tzinfo=UTC).timestamp())
    for image in ("Keys", "NewImage", "OldImage"):
        if image in stream:  # moto keeps a top-level binary value as bytes: base64, as Lambda's
            stream[image] = json_ready(stream[image])
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": stream,
        "eventSourceARN": stream_arn,
    }


def _own_copy(item: Any) -> dict[str, Any]:
    """A shard's record as a dict of the reader's own: a packed one unpacks a new copy; one
    from a snapshot older than packing is copied."""
    record: dict[str, Any] = item.to_json()
    return record if isinstance(item, PackedStreamRecord) else copy.deepcopy(record)


def _sequence(record: dict[str, Any]) -> int:
    return int(record["dynamodb"]["SequenceNumber"])


class ChangeFeed:
    """A poller per subscription; ``lock`` is the emulator's, so a read of the shard never sees
    a write half done."""

    def __init__(
        self,
        template: Template,
        functions: Functions,
        lock: threading.RLock,
        data_dir: Path,
        *,
        fresh: bool = False,
        poll_seconds: float = POLL_SECONDS,
        max_defer: float = MAX_DEFER_SECONDS,
    ) -> None:
        self.subscriptions = subscriptions(template)
        self.functions = functions
        self.lock = lock
        self.poll_seconds = poll_seconds
        self.max_defer = max_defer
        self.checkpoints = Checkpoints(data_dir / CHECKPOINTS)
        # Per subscription: records read (in Lambda's form) and not yet delivered, and the
        # sequence number read through (ChangeFeed.read).
        self._read_ahead: dict[str, tuple[list[dict[str, Any]], int]] = {}
        if fresh:
            self.checkpoints.discard()
        self.stopped = threading.Event()
        self.send_to_queue: Callable[[str, str, dict[str, str]], None] | None = None
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for subscription in self.subscriptions:
            if self.checkpoints.get(subscription.key) is None:
                self._begin(subscription)
        for table in {s.table for s in self.subscriptions}:
            self.trim(table)
        for subscription in self.subscriptions:
            thread = threading.Thread(
                target=self._run, args=(subscription,), name=f"stream-{subscription.key}"
            )
            thread.daemon = True
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self.stopped.set()
        for thread in self._threads:
            thread.join(timeout=30)

    # -- reading and trimming ------------------------------------------------------------------
    def _begin(self, subscription: Subscription) -> None:
        with self.lock:
            shard = _shard(subscription.table)
            first = int(shard.starting_sequence_number)
            held = len(shard.items)
        start = first - 1 if subscription.starting_position == "TRIM_HORIZON" else first + held - 1
        self.checkpoints.set(subscription.key, start)

    def read(self, subscription: Subscription, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Up to ``limit`` records after the checkpoint that pass the subscription's filters,
        and the sequence number read through: the last of them, or when fewer pass, the last
        record held (those filtered out are never delivered, as Lambda drops them).

        Each record is made into Lambda's form once per subscription: what was read and not yet
        delivered (a batch waiting for its window, or for the mail before it) is kept, and the
        next read goes on after it."""
        after = self.checkpoints.get(subscription.key)
        assert after is not None
        kept, read_through = self._read_ahead.get(subscription.key, ([], after))
        if read_through < after:  # the checkpoint moved on by other means: start from it
            kept, read_through = [], after
        pending = [r for r in kept if _sequence(r) > after]  # delivered ones leave
        if len(pending) < limit:
            with self.lock:
                shard = _shard(subscription.table)
                skip = max(0, read_through + 1 - int(shard.starting_sequence_number))
                held = shard.items[skip:]  # records are never changed once in the shard
            for item in held:
                record = lambda_record(_own_copy(item), subscription.stream_arn)
                read_through = _sequence(record)
                if subscription.wants(record):
                    pending.append(record)
                    if len(pending) == limit:
                        break
        self._read_ahead[subscription.key] = (pending, read_through)
        if len(pending) >= limit:
            batch = pending[:limit]
            return batch, _sequence(batch[-1])
        return pending, read_through

    def trim(self, table: str) -> int:
        """Drop from the shard what every subscriber of ``table`` has handled; how many."""
        handled = [self.checkpoints.get(s.key) for s in self.subscriptions if s.table == table]
        if not handled or any(h is None for h in handled):
            return 0
        last = min(h for h in handled if h is not None)
        with self.lock:
            shard = _shard(table)
            count = max(0, min(len(shard.items), last + 1 - int(shard.starting_sequence_number)))
            if count:
                shard.items = shard.items[count:]
                shard.starting_sequence_number += count
        return count

    def held(self, table: str) -> int:
        """How many records moto's shard of ``table`` holds now."""
        with self.lock:
            return len(_shard(table).items)

    # -- delivering ----------------------------------------------------------------------------
    def _run(self, subscription: Subscription) -> None:
        since: float | None = None  # when the records read began to wait (None: none waits)
        deferred = False
        while not self.stopped.is_set():
            try:
                waited = 0.0 if since is None else time.monotonic() - since
                if deferred and waited < self.max_defer and self.functions.busy(QUIET_SECONDS):
                    self.stopped.wait(self.poll_seconds)  # still waiting: not read meanwhile
                    continue
                batch, through = self.read(subscription, subscription.batch_size)
                if not batch:
                    since, deferred = None, False
                    if through != self.checkpoints.get(subscription.key):
                        self.checkpoints.set(subscription.key, through)  # none passed the filters
                        self.trim(subscription.table)
                    self.stopped.wait(self.poll_seconds)
                    continue
                if since is None:
                    since, waited = time.monotonic(), 0.0
                full = len(batch) >= subscription.batch_size
                ready = full or waited >= subscription.window_seconds
                deferred = ready and self.functions.busy(QUIET_SECONDS)
                if ready and not (deferred and waited < self.max_defer):
                    self._deliver(subscription, batch)
                    self.trim(subscription.table)
                    if not full:
                        since = None  # caught up; after a full batch the next waited as long
                    continue
            except _Stopping:
                return
            except Exception:
                log.exception("%s: reading the stream failed", subscription.key)
            self.stopped.wait(self.poll_seconds)

    def _deliver(self, subscription: Subscription, batch: list[dict[str, Any]]) -> None:
        """Handle ``batch`` (retried, bisected, at last sent to the failure destination), then
        move the checkpoint past it."""
        attempt = 0
        while True:
            if self.stopped.is_set():
                raise _Stopping
            try:
                self.functions.invoke(subscription.function, {"Records": batch})
            except Exception as error:
                log.error(
                    "%s failed on %d records (attempt %d): %s",
                    subscription.key,
                    len(batch),
                    attempt + 1,
                    error,
                )
                if subscription.bisect and len(batch) > 1:
                    half = len(batch) // 2
                    self._deliver(subscription, batch[:half])
                    self._deliver(subscription, batch[half:])
                    return
                if 0 <= subscription.retries <= attempt:
                    self._failed(subscription, batch, error, attempt + 1)
                    break
                self.stopped.wait(min(MAX_RETRY_DELAY, RETRY_DELAY * 2**attempt))
                attempt += 1
            else:
                break
        self.checkpoints.set(subscription.key, _sequence(batch[-1]))

    def _failed(
        self,
        subscription: Subscription,
        batch: list[dict[str, Any]],
        error: Exception,
        invocations: int,
    ) -> None:
        """What Lambda sends to a stream mapping's OnFailure destination: where the batch was."""
        if not subscription.on_failure_arn or self.send_to_queue is None:
            log.error(
                "%s: retries exhausted, no destination; the batch is skipped", subscription.key
            )
            return
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        message = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.functions.template.get_att(
                    self.functions.logical_id(subscription.function), "Arn"
                ),
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": invocations,
            },
            "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "DDBStreamBatchInfo": {
                "shardId": "shardId-local",
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": first.get("ApproximateCreationDateTime"),
                "approximateArrivalOfLastRecord": last.get("ApproximateCreationDateTime"),
                "batchSize": len(batch),
                "streamArn": subscription.stream_arn,
            },
        }
        attributes = {"ErrorMessage": f"{error_type(error)}: {error}"}
        self.send_to_queue(subscription.on_failure_arn, json.dumps(message), attributes)
        log.warning(
            "%s: retries exhausted; the batch is described in %s",
            subscription.key,
            subscription.on_failure_arn,
        )


class _Stopping(Exception):
    """The stack stops: leave the batch unhandled (it is delivered again after the restart)."""

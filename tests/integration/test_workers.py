"""The functions in worker processes (tessera_local.workers): answers, errors, AWS calls metered
and recorded as in one process, replacement after a number of invocations or a crash."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import boto3
import pytest

from tessera_local import iam, transport, usage, workers
from tessera_local.emulator import Emulator
from tessera_local.lambdas import FunctionError
from tessera_local.template import Template
from tests.integration.dynamodb_writes import create_table

HANDLERS = "tests.integration.worker_handlers"
PORT = 4599  # the address the workers' clients send to; the channel answers it, nothing listens


def context(name: str) -> dict[str, Any]:
    return {
        "function_name": name,
        "invoked_function_arn": f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
        "memory_limit_in_mb": 128,
        "aws_request_id": str(uuid.uuid4()),
        "timeout_seconds": 3,
        "started": 0.0,
    }


@pytest.fixture
def emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """The emulated AWS, answering this process's calls and the workers' (over a channel)."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{PORT}",
    }.items():
        monkeypatch.setenv(name, value)
    emulator = Emulator(tmp_path / "aws")
    # transport.install replaces botocore's send: monkeypatch puts the one before back after
    monkeypatch.setattr("botocore.endpoint.Endpoint._send", _unpatched_send())
    transport.install(emulator, PORT)
    yield emulator
    emulator.close()


def _unpatched_send() -> Any:
    from botocore.endpoint import Endpoint

    send = Endpoint._send
    return getattr(send, "__wrapped__", send)


@pytest.fixture
def pool(emulator: Emulator, tmp_path: Path) -> Iterator[tuple[workers.WorkerPool, list[Any]]]:
    channel = transport.Channel(emulator, str(tmp_path / "aws.sock"))
    channel.start()
    reports: list[Any] = []
    started = workers.WorkerPool(2, channel=channel.address, port=PORT, on_report=reports.append)
    started.start()
    yield started, reports
    started.stop()
    channel.close()


def test_a_worker_answers_with_the_handlers_result_and_reports_errors_by_name(
    pool: tuple[workers.WorkerPool, list[Any]],
) -> None:
    running, _ = pool
    # When a handler runs in a worker
    result, cpu = running.run(f"{HANDLERS}.answer", "AnswerFunction", {"n": 1}, context("Answer"))
    # Then its result comes back, run in another process with the context Lambda passes
    assert result["echo"] == {"n": 1}
    assert result["function"] == "Answer"
    assert result["pid"] in running.pids
    assert result["pid"] != os.getpid()
    assert cpu >= 0.0
    # And a handler's error comes back as its type's name and its message, as Lambda reports it
    with pytest.raises(FunctionError, match="no ticket T-1") as raised:
        running.run(f"{HANDLERS}.fail", "FailFunction", {"ticket": "T-1"}, context("Fail"))
    assert raised.value.error_type == "LookupError"


def test_a_workers_aws_calls_reach_the_emulator_metered_and_recorded_by_function(
    emulator: Emulator, pool: tuple[workers.WorkerPool, list[Any]]
) -> None:
    running, reports = pool
    # Given a table with an item, and the stack's meter on the emulator's side
    client = boto3.client("dynamodb")
    create_table(client, "t")
    client.put_item(TableName="t", Item={"pk": {"S": "P"}, "sk": {"S": "A"}, "v": {"S": "x"}})
    at_emulator = usage.Meter(Template.load())
    emulator.around_worker_call = usage.meter_worker_calls(at_emulator)
    # When a function in a worker reads it, then adds to a count on it
    item, _ = running.run(
        f"{HANDLERS}.read_and_count", "Reader", {"table": "t", "pk": "P"}, context("Reader")
    )
    # Then it read what this process wrote (one emulator for both), and its write is stored
    assert item == {"pk": {"S": "P"}, "sk": {"S": "A"}, "v": {"S": "x"}}
    stored = client.get_item(TableName="t", Key={"pk": {"S": "P"}, "sk": {"S": "A"}})["Item"]
    assert stored["n"] == {"N": "1"}
    # And the emulator metered the write for that function, from the stored item's size
    metered = at_emulator.snapshot()
    assert metered["calls"] == [
        {"function": "Reader", "service": "dynamodb", "operation": "UpdateItem", "count": 1}
    ]
    assert metered["amounts"] == {"dynamodb_write_units": 1}
    # And the worker metered the read itself and sent it with its answer, with the IAM calls
    at_stack = usage.Meter(Template.load())
    for counts, _, _ in reports:
        at_stack.merge(counts)
    assert at_stack.snapshot()["calls"] == [
        {"function": "Reader", "service": "dynamodb", "operation": "GetItem", "count": 1}
    ]
    assert at_stack.snapshot()["amounts"] == {"dynamodb_read_units": 0.5}
    recorded = set().union(*(calls for _, calls, _ in reports))
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/t"
    assert recorded == {
        iam.Call("Reader", "dynamodb:GetItem", table),
        iam.Call("Reader", "dynamodb:UpdateItem", table),
    }


def test_a_worker_is_replaced_after_its_invocations_and_after_a_crash(
    emulator: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    channel = transport.Channel(emulator, str(tmp_path / "aws.sock"))
    channel.start()
    running = workers.WorkerPool(1, channel=channel.address, port=PORT, recycle_after=3)
    running.start()
    try:
        # When one worker ran three invocations, the third from a thread that ends soon after
        # (as a workflow's thread does: the replacement is started from it)
        first = {
            running.run(f"{HANDLERS}.answer", "F", {}, context("F"))[0]["pid"] for _ in range(2)
        }

        def third() -> None:
            first.add(running.run(f"{HANDLERS}.answer", "F", {}, context("F"))[0]["pid"])
            time.sleep(2)  # the replacement has started meanwhile

        thread = threading.Thread(target=third)
        thread.start()
        thread.join()
        time.sleep(1)  # a replacement tied to that thread's life would be gone by now
        # Then the next runs in the worker that replaced it, and no worker was lost meanwhile
        [replaced] = first
        after = running.run(f"{HANDLERS}.answer", "F", {}, context("F"))[0]["pid"]
        assert after != replaced
        assert running.pids == [after]
        assert [r.message for r in caplog.records if r.name == "tessera.local.workers"] == []
        # And when a worker dies running an invocation, that invocation fails
        with pytest.raises(workers.WorkerLost):
            running.run(f"{HANDLERS}.die", "F", {}, context("F"))
        # And the next one runs in a new worker
        again = running.run(f"{HANDLERS}.answer", "F", {}, context("F"))[0]["pid"]
        assert again not in (replaced, after)
    finally:
        running.stop()
        channel.close()


def test_a_config_one_worker_applied_is_forgotten_by_the_others_before_the_answer() -> None:
    # Given a pool of three workers, whose connections record what they are sent
    running = workers.WorkerPool(3, channel="unused", port=PORT)
    sent: list[tuple[int, Any]] = []
    for number in range(3):
        worker = workers._Worker(process=_Process(number), connection=None)  # type: ignore[arg-type]
        worker.send = lambda message, n=number: sent.append((n, message))  # type: ignore[method-assign]
        running._workers.append(worker)
    applier = running._workers[0]
    answered: Future[Any] = Future()
    applier.pending[7] = answered
    # When worker 0 answers an invocation that applied the rules, before it is returned
    answered.add_done_callback(lambda _: sent.append((-1, "answered")))
    counts = {"calls": {}, "amounts": {}, "log_bytes": {}}
    running._done(applier, 7, True, {"ok": 1}, 0.01, (counts, set(), {"rules"}))
    # Then the other two were told to forget the rules, then the answer was given
    assert sent == [(1, ("forget", ["rules"])), (2, ("forget", ["rules"])), (-1, "answered")]
    assert answered.result() == ({"ok": 1}, 0.01)


class _Process:
    def __init__(self, pid: int) -> None:
        self.pid = pid

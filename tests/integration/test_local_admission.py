"""Flow control of inbound mail (tessera_local.admission), on moto's real Step Functions and on
a running stack: what the SMTP server has answered 250 to and not yet acknowledged stays within
the backlog limit, however fast the senders send."""

from __future__ import annotations

import json
import smtplib
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest

from tessera_local.admission import RunningExecutions
from tests.localstack import acknowledged, load_mail, start_stack, stop_stack, wait_for

pytestmark = pytest.mark.integration

WAIT_A_LITTLE = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 1, "End": True}}}


def test_running_express_executions_are_counted_until_they_end(
    moto_as_local: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.core.config import default_user_config

    monkeypatch.setitem(default_user_config, "stepfunctions", {"execute_state_machine": True})
    running = RunningExecutions()
    for owner, name, replacement in running.replacements():
        monkeypatch.setattr(owner, name, replacement)
    ended = threading.Event()
    running.on_ended = ended.set
    sfn = boto3.client("stepfunctions")
    role = "arn:aws:iam::123456789012:role/sfn"
    nonce = uuid.uuid4().hex[:8]
    express, standard = (
        sfn.create_state_machine(
            name=f"{kind}-{nonce}", definition=json.dumps(WAIT_A_LITTLE), roleArn=role, type=kind
        )["stateMachineArn"]
        for kind in ("EXPRESS", "STANDARD")
    )
    # Given an execution of a Standard machine (escalations wait for hours: not a backlog)
    sfn.start_execution(stateMachineArn=standard, name="s1", input="{}")
    assert running.count() == 0
    # When an Express one starts, it is counted while it runs
    arn = sfn.start_execution(stateMachineArn=express, name="e1", input="{}")["executionArn"]
    assert running.count() == 1
    # Then, once it has ended, it is not, and whoever waits on the backlog was told
    assert ended.wait(timeout=30)
    deadline = time.monotonic() + 30
    while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert running.count() == 0


def test_senders_are_paced_to_the_rate_mail_is_routed(tmp_path: Path) -> None:
    # Given a stack that lets at most 2 mails be in intake or routing at once
    limit, connections, count = 2, 3, 24
    stack = start_stack(tmp_path, fresh=True, settings={"TESSERA_SMTP_BACKLOG": str(limit)})
    run = uuid.uuid4().hex[:6]
    lock = threading.Lock()
    accepted: list[int] = []
    unacknowledged: list[int] = []  # at each 250: mails accepted and not yet acknowledged

    def share(part: int) -> None:
        with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=60) as smtp:
            for n in range(part, count, connections):
                assert smtp.send_message(load_mail(run, n)) == {}
                with lock:
                    accepted.append(n)
                    taken = len(accepted)
                unacknowledged.append(taken - acknowledged(stack, run))

    try:
        # When senders send as fast as the SMTP server answers
        with ThreadPoolExecutor(connections) as pool:
            list(pool.map(share, range(connections)))
        done: Any = wait_for(lambda: acknowledged(stack, run) == count, timeout=120)

        # Then every mail was taken and acknowledged, and what had been answered 250 and was
        # not yet acknowledged never went past the limit (unpaced, 20 and more: mail is
        # taken several times faster than it is routed)
        assert done
        assert sorted(accepted) == list(range(count))
        assert max(unacknowledged) <= limit
    finally:
        stop_stack(stack)
    assert "Traceback" not in "".join(stack.output)

"""The SMTP server's flow control (tessera_local.admission): a mail waits while the backlog is at
the limit, is let in as soon as part of it ends, in the order the mails came, and never waits
longer than its bound."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from tessera_local.admission import Admission

T = TypeVar("T")


def run(scenario: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own, as the SMTP server's loop runs (and apart from any
    loop the test session's browser keeps running in the main thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, scenario).result(timeout=60)


class Backlog:
    """A backlog another thread shrinks, as the stack's functions and executions do."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __call__(self) -> int:
        return self.size


def test_a_mail_under_the_limit_is_let_in_at_once() -> None:
    admission = Admission(Backlog(2), limit=3, max_wait=5)

    waited = run(admission.admit())

    assert waited == 0.0
    assert admission.paused == 0


def test_a_limit_of_zero_never_paces() -> None:
    admission = Admission(Backlog(1000), limit=0, max_wait=5)

    assert run(admission.admit()) == 0.0
    assert admission.paused == 0


def test_a_mail_at_the_limit_waits_until_part_of_the_backlog_ends() -> None:
    backlog = Backlog(3)
    admission = Admission(backlog, limit=3, max_wait=30)

    def end_one_later() -> None:
        backlog.size = 2
        admission.changed()  # from another thread, as an ended execution tells it

    async def scenario() -> tuple[float, bool]:
        timer = threading.Timer(0.3, end_one_later)
        timer.start()
        try:
            waited = await admission.admit()
        finally:
            timer.join()
        return waited, backlog.size == 2

    waited, ended_first = run(scenario())

    assert ended_first
    assert 0.25 <= waited < 5  # woken by changed(), not by the 30 s bound
    assert admission.paused == 1
    assert admission.overdue == 0


def test_waiting_mails_are_let_in_in_the_order_they_came() -> None:
    backlog = Backlog(1)
    admission = Admission(backlog, limit=1, max_wait=30)
    order: list[int] = []

    async def mail(number: int) -> None:
        await admission.admit()
        order.append(number)
        backlog.size += 1  # now in the backlog itself, as a spooled mail is

    async def scenario() -> None:
        waiting = []
        for number in range(4):
            waiting.append(asyncio.create_task(mail(number)))
            await asyncio.sleep(0.01)  # each one queued before the next
        for _ in range(4):
            await asyncio.sleep(0.05)
            backlog.size -= 1  # one ended: one mail may go in
            admission.changed()
        await asyncio.wait_for(asyncio.gather(*waiting), 5)

    run(scenario())

    assert order == [0, 1, 2, 3]


def test_a_mail_is_taken_after_its_longest_wait_when_nothing_ends() -> None:
    admission = Admission(Backlog(5), limit=2, max_wait=0.4)

    waited = run(admission.admit())

    assert 0.4 <= waited < 3
    assert admission.overdue == 1


@pytest.mark.parametrize("limit", [1, 4])
def test_a_mail_never_goes_in_while_the_backlog_is_at_the_limit(limit: int) -> None:
    backlog = Backlog(limit)
    admission = Admission(backlog, limit=limit, max_wait=30)
    seen_at_admission: list[int] = []

    async def mail() -> None:
        await admission.admit()
        seen_at_admission.append(backlog.size)
        backlog.size += 1

    async def scenario() -> None:
        tasks = [asyncio.create_task(mail()) for _ in range(6)]
        while not all(t.done() for t in tasks):
            await asyncio.sleep(0.02)
            backlog.size = max(0, backlog.size - 1)
            admission.changed()
        await asyncio.gather(*tasks)

    run(scenario())

    assert len(seen_at_admission) == 6
    assert max(seen_at_admission) < limit

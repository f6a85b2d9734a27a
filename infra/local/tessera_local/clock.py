"""Fire the template's EventBridge schedules (moto stores schedules but never fires them)."""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tessera_local.lambdas import Functions
from tessera_local.template import ACCOUNT_ID, REGION, Template

log = logging.getLogger("tessera.local.clock")

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Schedule:
    function: str
    name: str
    seconds: int
    retries: int = 185  # EventBridge Scheduler's default
    dead_letter_arn: str | None = None


def schedules(template: Template) -> list[Schedule]:
    """Every ``Schedule``/``ScheduleV2`` event with a ``rate(...)`` expression."""
    found = []
    for logical_id in template.of_type("AWS::Serverless::Function"):
        for name, event in template.function_properties(logical_id).get("Events", {}).items():
            if event["Type"] not in {"Schedule", "ScheduleV2"}:
                continue
            expression = event["Properties"][
                "Schedule" if event["Type"] == "Schedule" else "ScheduleExpression"
            ]
            match = _RATE.match(expression)
            if match is None:
                raise ValueError(f"{logical_id}.{name}: only rate(...) schedules run locally")
            seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]
            properties = template.resolve(event["Properties"])
            retries = int(properties.get("RetryPolicy", {}).get("MaximumRetryAttempts", 185))
            dead_letters = properties.get("DeadLetterConfig", {}).get("Arn")
            found.append(Schedule(template.ref(logical_id), name, seconds, retries, dead_letters))
    return found


def scheduled_event(schedule: Schedule, now: datetime) -> dict[str, Any]:
    """The event EventBridge Scheduler delivers to a Lambda target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": ACCOUNT_ID,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/default/{schedule.name}"],
        "detail": {},
    }


class Clock(threading.Thread):
    """Invoke each scheduled function every period, ``speed`` times faster than real time."""

    def __init__(self, template: Template, functions: Functions, speed: float = 1.0) -> None:
        super().__init__(name="clock", daemon=True)
        self.schedules = schedules(template)
        self.functions = functions
        self.speed = speed
        self.stopped = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        next_fire = {s: started + s.seconds / self.speed for s in self.schedules}
        while not self.stopped.is_set():
            now = time.monotonic()
            for schedule, due in next_fire.items():
                if now >= due:
                    self.functions.invoke_async(
                        schedule.function,
                        scheduled_event(schedule, datetime.now(UTC)),
                        dead_letter_arn=schedule.dead_letter_arn,
                        retries=schedule.retries,
                    )
                    next_fire[schedule] = due + schedule.seconds / self.speed
            wait = min(next_fire.values(), default=now + 1) - time.monotonic()
            self.stopped.wait(max(0.05, min(wait, 1.0)))

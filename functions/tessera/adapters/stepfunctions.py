"""Step Functions: the routing execution of each ticket and the escalation executions of its
timers.

Routing is an Express workflow: its names say which run it is (the ticket, its reopening, the
reconciler's attempt) but a repeated start is not refused, and a run may even happen twice;
its steps are idempotent on the ticket (tessera.routing.workflow). Escalation is Standard:
execution names make a repeated start a no-op (Step Functions keeps names for 90 days)."""

from __future__ import annotations

import json
from datetime import datetime

from tessera.adapters.clients import client


class StepFunctionsWorkflow:
    def __init__(self, routing_state_machine_arn: str) -> None:
        self.routing_state_machine_arn = routing_state_machine_arn

    def start_routing(
        self, ticket_id: str, *, reopening: int | None = None, attempt: int | None = None
    ) -> bool:
        sfn = client("stepfunctions")
        # One execution per ticket (and per reopening, and per reconciler attempt), named so.
        name = f"route-{ticket_id}"
        if reopening is not None:
            name += f"-r{reopening}"
        if attempt is not None:
            name += f"-a{attempt}"
        try:
            sfn.start_execution(
                stateMachineArn=self.routing_state_machine_arn,
                name=name,
                input=json.dumps({"ticket_id": ticket_id, "reopened": reopening is not None}),
            )
        except sfn.exceptions.ExecutionAlreadyExists:  # a Standard machine, or the emulator
            return False
        return True


class StepFunctionsEscalations:
    """Escalation executions, one per (ticket, target, cycle, level): the name makes a repeated
    start by the next sweep a no-op (Step Functions keeps names for 90 days).

    An execution that ended without moving its timer on (aborted, timed out: its Catch never
    ran) would leave the timer due under a name already used, for ever. When the name is taken
    by an execution that is not running any more, the sweep starts it once more under a second
    name; if that one ends the same way, the timer waits for the ticket's next change."""

    ENDED = frozenset({"ABORTED", "TIMED_OUT", "FAILED"})

    def __init__(self, state_machine_arn: str) -> None:
        self.state_machine_arn = state_machine_arn

    def start(self, ticket_id: str, what: str, due_at: datetime) -> bool:
        name = f"{ticket_id}-{what}"[:74]
        if self._start(name, ticket_id, what):
            return True
        if self._status(name) not in self.ENDED:
            return False
        return self._start(f"{name}-again", ticket_id, what)

    def _start(self, name: str, ticket_id: str, what: str) -> bool:
        sfn = client("stepfunctions")
        try:
            sfn.start_execution(
                stateMachineArn=self.state_machine_arn,
                name=name,
                input=json.dumps({"ticket_id": ticket_id, "what": what}),
            )
        except sfn.exceptions.ExecutionAlreadyExists:
            return False
        return True

    def _status(self, name: str) -> str:
        arn = self.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
        return str(client("stepfunctions").describe_execution(executionArn=arn)["status"])

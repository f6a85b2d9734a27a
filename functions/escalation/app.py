"""Tasks of the escalation state machine (infra/statemachines/escalation.asl.json)."""

from __future__ import annotations

from typing import Any

from tessera import bootstrap
from tessera.errors import ValidationFailed
from tessera.observability import SLA_BREACH, SLA_WARNING, count, observed, ticket_id_field
from tessera.sla import escalation
from tessera.tickets.model import utcnow


@observed(ticket_id_field)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """``{"step": "begin" | "warn" | "escalate" | "notify" | "automate" | "record_failure" |
    "automation" (the sweep's asynchronous invocation for an automation timer),
    "ticket_id": ..., "what": ..., plus the step's own fields from begin's result}``"""
    deps = bootstrap.dependencies()
    step, ticket_id = event.get("step"), event.get("ticket_id")
    if not isinstance(ticket_id, str) or not ticket_id:
        raise ValidationFailed("ticket_id", "is required")
    now = utcnow()
    if step == "begin":
        claimed = escalation.begin(deps, ticket_id, _text(event, "what"), now)
        _count_sla(claimed, ticket_id)
        return claimed
    if step == "warn":
        return escalation.warn(deps, ticket_id, _text(event, "target"), _int(event, "cycle"), now)
    if step in {"escalate", "notify"}:
        run = escalation.escalate if step == "escalate" else escalation.notify
        return run(
            deps, ticket_id, _text(event, "target"), _int(event, "cycle"), _int(event, "level"), now
        )
    if step == "automation":  # an automation timer, invoked by the sweep without a workflow
        return escalation.run_automation(deps, ticket_id, _text(event, "what"), now)
    if step == "automate":
        return escalation.automate(deps, ticket_id, _text(event, "kind"), now)
    if step == "record_failure":
        error = event.get("error") if isinstance(event.get("error"), dict) else {}
        return escalation.record_failure(deps, ticket_id, _text(event, "what"), error or {}, now)
    raise ValidationFailed("step", f"unknown step {step!r}")


def _count_sla(claimed: dict[str, Any], ticket_id: str) -> None:
    """A claimed warning is an SLA warning; the first escalation level of a target is its
    breach (later levels escalate the same breach further)."""
    if claimed.get("action") == "warn":
        count(SLA_WARNING, ticket_id=ticket_id)
    elif claimed.get("action") == "escalate" and claimed.get("level") == 1:
        count(SLA_BREACH, ticket_id=ticket_id)


def _text(event: dict[str, Any], name: str) -> str:
    value = event.get(name)
    if not isinstance(value, str) or not value:
        raise ValidationFailed(name, "is required")
    return value


def _int(event: dict[str, Any], name: str) -> int:
    value = event.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationFailed(name, "must be an integer")
    return value

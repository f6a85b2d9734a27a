"""Tasks of the routing state machine (infra/statemachines/routing.asl.json)."""

from __future__ import annotations

from typing import Any

from tessera import bootstrap
from tessera.errors import ValidationFailed
from tessera.observability import ROUTING_FAILED, count, observed, ticket_id_field
from tessera.routing import workflow


@observed(ticket_id_field)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """``{"step": "route" | "assign" | "acknowledge" | "record_failure", "ticket_id": ...}``;
    ``route`` also takes ``"reopened": true`` (a reopened ticket's second routing)."""
    deps = bootstrap.dependencies()
    step, ticket_id = event.get("step"), event.get("ticket_id")
    if not isinstance(ticket_id, str) or not ticket_id:
        raise ValidationFailed("ticket_id", "is required")
    if step == "route":
        return workflow.route(deps, ticket_id, reopened=event.get("reopened") is True)
    if step == "assign":
        return workflow.assign(deps, ticket_id)
    if step == "acknowledge":
        return workflow.acknowledge(deps, ticket_id)
    if step == "record_failure":
        workflow.record_routing_failure(deps, ticket_id, event.get("error") or {})
        count(ROUTING_FAILED, ticket_id=ticket_id)
        return {"recorded": True}
    raise ValidationFailed("step", f"unknown step {step!r}")

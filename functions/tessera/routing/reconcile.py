"""The routing reconciler: a ticket whose routing workflow never finished is routed again.

Every ticket waits for its routing from the moment it is opened (``Ticket.routing_since``, on a
sparse index) until the workflow's last step (acknowledge, or route for spam, or the recorded
failure) clears it. A start that failed for good (intake's retries exhausted), an execution that
died with the stack, or one that is stuck leaves the ticket waiting; every few minutes the
reconciler reads only the tickets that waited longer than :data:`WAIT` and starts their routing
again — at most :data:`MAX_ATTEMPTS` times, each under its own execution name
(``route-<id>-a<n>``), so two reconcilers at once start it once. After the last attempt the
failure is recorded as the workflow's own would be: the ticket goes to its mailbox's group, the
reason on its audit trail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tessera.errors import Conflict, NotFound
from tessera.ports import Dependencies
from tessera.routing.workflow import record_routing_failure
from tessera.tickets.model import Event

ACTOR = "system:reconciler"
WAIT = timedelta(minutes=5)  # routing takes seconds; five minutes means it will not finish
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Reconciled:
    restarted: Sequence[str]  # ticket ids whose routing was started again
    given_up: Sequence[str]  # ticket ids whose failure was recorded after the last attempt


def reconcile(
    deps: Dependencies, now: datetime, *, wait: timedelta = WAIT, limit: int = 50
) -> Reconciled:
    """Start the routing again of every ticket that waited for it longer than ``wait``."""
    restarted, given_up = [], []
    for ticket_id in deps.tickets.awaiting_routing(now - wait, limit=limit):
        try:
            ticket = deps.tickets.get(ticket_id)
        except NotFound:
            continue
        if ticket.routing_since is None or ticket.routing_since > now - wait:
            continue  # finished, or restarted, since the index was read
        if ticket.routing_attempts >= MAX_ATTEMPTS:
            error = {
                "Error": "RoutingNeverFinished",
                "Cause": f"routing did not finish after {ticket.routing_attempts} restarts",
            }
            record_routing_failure(deps, ticket.id, error)
            given_up.append(ticket.id)
            continue
        attempt = ticket.routing_attempts + 1
        ticket.routing_attempts, ticket.routing_since = attempt, now
        waited = int((now - ticket.created_at).total_seconds() // 60)
        event = Event(
            ticket.id,
            ACTOR,
            "routing.restarted",
            f"routing had not finished {waited} min after the ticket was opened; "
            f"attempt {attempt} of {MAX_ATTEMPTS}",
        )
        try:
            deps.tickets.save(ticket, [event])
        except Conflict:
            continue  # the workflow (or another reconciler) saved it meanwhile
        deps.workflow().start_routing(ticket.id, attempt=attempt)
        restarted.append(ticket.id)
    return Reconciled(restarted=restarted, given_up=given_up)

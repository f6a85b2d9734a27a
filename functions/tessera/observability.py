"""Logs, metrics and traces of every function, in one module (docs/operations.md).

- :func:`logger`: one structured (JSON) powertools Logger. :func:`observed` wraps each handler:
  the Lambda context's keys and the ticket id as ``correlation_id`` on every line it logs. The
  keys are the invocation's thread's (powertools' thread-safe keys): on Lambda an environment
  runs one invocation at a time, but the local stack runs several at once in one process, and
  with the logger's shared keys one invocation's lines carried another's function and ticket.
- :func:`count`: one CloudWatch metric as an EMF log line (no API call, nothing to flush), in
  the ``Tessera`` namespace with the ``service`` dimension the template's alarms and dashboard
  read. :data:`METRICS` lists every name emitted (a template test keeps the dashboard in step).
- :func:`tracer`: powertools Tracer, created on first use only: it imports aws-xray-sdk
  (~+500 ms on a cold start), so no handler pays for it at import.

Everything is created on first use: importing this module costs nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from functools import cache
from typing import Any

NAMESPACE = "Tessera"
SERVICE = "tessera"

TICKET_CREATED = "TicketCreated"
TICKET_REPLIED = "TicketReplied"
MAIL_QUARANTINED = "MailQuarantined"
MAIL_DROPPED = "MailDropped"
ROUTING_FAILED = "RoutingFailed"
SLA_WARNING = "SlaWarning"
SLA_BREACH = "SlaBreach"
SWEEP_LAG = "SweepLag"

# Name -> unit of every metric Tessera emits.
METRICS: dict[str, str] = {
    TICKET_CREATED: "Count",
    TICKET_REPLIED: "Count",
    MAIL_QUARANTINED: "Count",
    MAIL_DROPPED: "Count",
    ROUTING_FAILED: "Count",
    SLA_WARNING: "Count",
    SLA_BREACH: "Count",
    SWEEP_LAG: "Seconds",
}

Handler = Callable[[Any, Any], Any]


@cache
def logger() -> Any:
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE)


@cache
def tracer() -> Any:
    """The powertools Tracer (X-Ray), for code that wants a subsegment; created on first use."""
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE)


def count(name: str, value: float = 1, *, ticket_id: str | None = None) -> None:
    """Emit metric ``name`` (one of :data:`METRICS`) now, as an EMF line on stdout; the ticket
    id rides along as metadata (searchable in the logs, not a dimension: no cardinality cost)."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    unit = MetricUnit(METRICS[name])
    with single_metric(
        name=name,
        unit=unit,
        value=value,
        namespace=NAMESPACE,
        default_dimensions={"service": SERVICE},
    ) as metric:
        if ticket_id:
            metric.add_metadata(key="ticket_id", value=ticket_id)


def correlate(ticket_id: str | None) -> None:
    """Make ``ticket_id`` the correlation id of what the current invocation logs from now on."""
    if ticket_id:
        set_correlation(ticket_id)


def set_correlation(ticket_id: str | None) -> None:
    """The correlation id of what the current invocation logs from now on; None: none."""
    logger().thread_safe_append_keys(correlation_id=ticket_id)


def correlation_id() -> str | None:
    """The correlation id the current invocation logs with."""
    value = logger().thread_safe_get_current_keys().get("correlation_id")
    return str(value) if value is not None else None


def observed(ticket_id_of: Callable[[Any], str | None]) -> Callable[[Handler], Handler]:
    """Wrap a Lambda handler: each invocation logs with the Lambda context's keys (function
    name, request id, cold start) and ``ticket_id_of(event)`` as its correlation id."""

    def wrap(handler: Handler) -> Handler:
        cold = [True]

        @functools.wraps(handler)
        def run(event: Any, context: Any) -> Any:
            logger().thread_safe_append_keys(
                correlation_id=ticket_id_of(event),
                function_name=getattr(context, "function_name", None),
                function_request_id=getattr(context, "aws_request_id", None),
                cold_start=cold[0],
            )
            cold[0] = False
            return handler(event, context)

        return run

    return wrap


def ticket_id_field(event: Any) -> str | None:
    """The ``ticket_id`` of a Step Functions task event (``{"step": ..., "ticket_id": ...}``)."""
    value = event.get("ticket_id") if isinstance(event, dict) else None
    return value if isinstance(value, str) and value else None


def no_ticket(event: Any) -> str | None:
    """For handlers whose event names no single ticket (schedules, mail before parsing)."""
    return None

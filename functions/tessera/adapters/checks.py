"""Argument checks every TicketRepository makes the same way (DynamoDB and memory alike), so the
contract tests hold both to one behaviour."""

from __future__ import annotations

from collections.abc import Sequence

from tessera.errors import ValidationFailed
from tessera.tickets.model import Event, Message, Ticket


def check_belongs(ticket: Ticket, messages: Sequence[Message], events: Sequence[Event]) -> None:
    # Keys come from the objects' own ticket_id; a stray one would land in another partition.
    if any(m.ticket_id != ticket.id for m in messages):
        raise ValidationFailed("ticket_id", f"a message does not belong to ticket {ticket.id}")
    if any(e.ticket_id != ticket.id for e in events):
        raise ValidationFailed("ticket_id", f"an event does not belong to ticket {ticket.id}")


def check_limit(limit: int) -> None:
    if limit < 1:
        raise ValidationFailed("limit", "must be at least 1")

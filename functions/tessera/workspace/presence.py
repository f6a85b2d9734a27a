"""Collision detection: who else has a ticket open in the console now, and whether they are
writing a reply.

The console calls ``PUT /api/tickets/{id}/presence`` every ~15 s while the page is open (and
``DELETE`` when it leaves). Each call records the caller for :data:`TTL_SECONDS` and answers the
other agents present and the ticket's version (so the page sees a change without reading the
thread): one Query and one write. Records past their time are ignored at once, whether or not
DynamoDB's TTL has deleted them yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tessera.errors import ValidationFailed
from tessera.identity.access import Principal, require_staff
from tessera.ports import Dependencies, Presence
from tessera.tickets.model import utcnow

TTL_SECONDS = 45
ACTIVITIES = ("viewing", "replying")


@dataclass(frozen=True)
class Present:
    others: Sequence[Presence]  # other agents present now, longest present first
    version: int  # the ticket's version


def here(
    deps: Dependencies,
    principal: Principal,
    ticket_id: str,
    activity: str,
    now: datetime | None = None,
) -> Present:
    """Record the caller on the ticket doing ``activity``; the others present now."""
    require_staff(principal)
    if activity not in ACTIVITIES:
        raise ValidationFailed("activity", f"must be one of {', '.join(ACTIVITIES)}")
    now = now or utcnow()
    store = deps.presence()
    version, records = store.present(ticket_id)  # NotFound for no such ticket
    mine = next((r for r in records if r.agent == principal.email), None)
    continuing = mine is not None and mine.activity == activity and mine.expires_at > now
    since = mine.since if mine is not None and continuing else now
    store.put(
        ticket_id,
        Presence(
            agent=principal.email,
            activity=activity,
            since=since,
            seen=now,
            expires_at=now + timedelta(seconds=TTL_SECONDS),
        ),
    )
    return Present(_others(records, principal.email, now), version)


def leave(
    deps: Dependencies, principal: Principal, ticket_id: str, now: datetime | None = None
) -> Present:
    """The caller left the ticket's page: their record ends now."""
    require_staff(principal)
    now = now or utcnow()
    store = deps.presence()
    version, records = store.present(ticket_id)
    if any(r.agent == principal.email for r in records):
        # Ended rather than deleted: a write the API may already make (no DeleteItem).
        store.put(ticket_id, Presence(principal.email, "left", now, now, now))
    return Present(_others(records, principal.email, now), version)


def _others(records: Sequence[Presence], me: str, now: datetime) -> list[Presence]:
    live = [r for r in records if r.agent != me and r.expires_at > now and r.activity != "left"]
    return sorted(live, key=lambda r: (r.since, r.agent))

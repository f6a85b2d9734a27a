"""The audit log of admin actions: who changed which configuration document, account or
article, when, and from what to what.

Any admin use case calls :func:`record` after its change succeeded (the change is the source
of truth; a record that failed to be written must not undo it, so :func:`record` is called last).
Entries are read back by month and, optionally, by actor (:class:`tessera.ports.AuditLog`), so
a search costs the entries it returns, never the whole log.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from tessera.errors import ValidationFailed
from tessera.identity.access import Principal, require_admin
from tessera.ports import AuditEntry, Dependencies
from tessera.tickets.model import new_id

MAX_RANGE_DAYS = 366
MAX_ENTRIES = 1000
MAX_VALUE_CHARS = 2000  # a config document's whole text is kept by its version, not here


def record(
    deps: Dependencies,
    principal: Principal,
    action: str,
    target: str,
    *,
    before: str = "",
    after: str = "",
    at: datetime | None = None,
) -> AuditEntry:
    """Keep one admin action: ``action`` (e.g. ``config.applied``, ``account.disabled``,
    ``kb.published``) on ``target`` (e.g. ``config:groups``, ``account:alice@example.com``),
    with what it was and what it became, in words short enough to read in a table."""
    entry = AuditEntry(
        id=new_id(),
        at=(at or datetime.now(UTC)).astimezone(UTC),
        actor=principal.email,
        action=action,
        target=target,
        before=before[:MAX_VALUE_CHARS],
        after=after[:MAX_VALUE_CHARS],
    )
    deps.audit_log().add(entry)
    return entry


def search(
    deps: Dependencies,
    principal: Principal,
    *,
    actor: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> Sequence[AuditEntry]:
    """Entries newest first between ``start`` and ``end`` (default: the last 30 days up to
    now), by one actor if given. Admins only; ValidationFailed naming ``from``/``to`` for a
    range that is backwards or longer than a year."""
    require_admin(principal)
    now = now or datetime.now(UTC)
    end = end or now
    start = start or end - timedelta(days=30)
    if start > end:
        raise ValidationFailed("from", "must not be after to")
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        raise ValidationFailed("to", f"the range may span at most {MAX_RANGE_DAYS} days")
    who = actor.strip().lower() if actor else None
    return deps.audit_log().entries(start, end, actor=who or None, limit=MAX_ENTRIES)


CSV_COLUMNS = ("at", "actor", "action", "target", "before", "after")


def as_csv(entries: Sequence[AuditEntry]) -> str:
    """The entries as CSV with a header row. A cell a spreadsheet would run as a formula
    (starting with = + - @) is prefixed with an apostrophe: the values are admins' input."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        row = [e.at.isoformat().replace("+00:00", "Z"), e.actor, e.action, e.target]
        writer.writerow([_cell(v) for v in (*row, e.before, e.after)])
    return out.getvalue()


def _cell(value: str) -> str:
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value

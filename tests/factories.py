"""Builders of test data shared across tiers: one place for each shape a test needs, so tests
say only what matters to them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tessera.kb import articles
from tessera.ports import TicketRepository
from tessera.tickets.model import Channel, Message, MessageKind, Ticket, open_ticket

ROOT = Path(__file__).resolve().parents[1]
REPO_KB = ROOT / "kb"


def write_article(kb: Path, relative: str, front: str, body: str = "Some text.\n") -> Path:
    """A markdown article at ``kb/<relative>`` with the front matter ``front`` (YAML lines)."""
    path = kb / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{front}---\n\n{body}", encoding="utf-8")
    return path


def kb_draft(
    body: str = "Πατήστε **Εκτύπωση**.", title: str = "Εκτύπωση τιμολογίου"
) -> articles.Draft:
    """An admin-API article draft (Greek, in the billing category)."""
    return articles.Draft(
        title=title, description="Πώς τυπώνετε ένα τιμολόγιο.", category="billing", body=body
    )


_HOURS = {"office": 'hours: {mon-fri: "09:00-17:00"}', "always": 'hours: {mon-sun: "00:00-24:00"}'}


def sla_config(
    *targets: str,
    calendar: str = "office",
    policy: str = "standard",
    pause: tuple[str, ...] = (),
    rest: str = "",
) -> str:
    """An ``sla`` configuration document with one calendar in UTC — ``office`` (Monday to Friday,
    9 to 5) or ``always`` (every hour) — and one policy. ``targets`` are its target lines
    (``"default: {first_response: 4h}"`` when none are given), ``pause`` its pause lines, and
    ``rest`` the top-level sections after it (escalation, automations)."""
    lines = [
        "calendars:",
        f"  - name: {calendar}",
        "    timezone: UTC",
        f"    {_HOURS[calendar]}",
        f"default_calendar: {calendar}",
        "policies:",
        f"  - name: {policy}",
    ]
    if pause:
        lines += ["    pause:", *(f"      {line}" for line in pause)]
    lines += [
        "    targets:",
        *(f"      {t}" for t in targets or ("default: {first_response: 4h}",)),
    ]
    return "\n".join(lines) + "\n" + rest


def stored_ticket(tickets: TicketRepository, **fields: Any) -> Ticket:
    """A ticket mailed in by dana@customer.test, stored with its first message; ``fields`` are
    any of :func:`open_ticket`'s (``subject``, ``group``, ``mailbox``, ...). As stored."""
    values: dict[str, Any] = {
        "subject": "Printer",
        "requester": "dana@customer.test",
        "channel": Channel.EMAIL,
        "actor": "customer:dana@customer.test",
        "reason": "mail",
        **fields,
    }
    ticket, created = open_ticket(number=tickets.next_number(), **values)
    first = Message(ticket.id, MessageKind.PUBLIC, ticket.requester, "Please help.")
    tickets.create(ticket, first, [created])
    return tickets.get(ticket.id)

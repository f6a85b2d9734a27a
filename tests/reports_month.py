"""A hand-made month of tickets (November 2026) with known answers, for the reports' golden
tests (unit, on the fakes) and the same month on the local stack's table (integration).

The business calendar is Monday to Friday 09:00-17:00 UTC with Thursday 26 November a holiday.
Every figure below is worked out by hand in tests/unit/test_reports.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tessera.config.kinds import validate
from tessera.ports import TicketRepository
from tessera.sla.clocks import Record, SlaState
from tessera.sla.policies import SlaConfig
from tessera.tickets.model import Channel, Event, Message, MessageKind, Priority, Status, Ticket

SLA = """\
calendars:
  - name: office
    timezone: UTC
    hours: {mon-fri: "09:00-17:00"}
    holidays: [2026-11-26]
default_calendar: office
policies:
  - name: standard
    targets:
      default: {first_response: 4h, resolution: 8h}
"""


def sla_config() -> SlaConfig:
    config: SlaConfig = validate("sla", SLA)
    return config


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


AGENT = "agent:{}@example.com"


class MonthBuilder:
    """Writes tickets, messages and events with given times through a ticket repository."""

    def __init__(self, tickets: TicketRepository) -> None:
        self.tickets = tickets

    def open(
        self, when: str, *, requester: str, channel: Channel, group: str, **values: object
    ) -> Ticket:
        created = at(when)
        ticket = Ticket(
            number=self.tickets.next_number(),
            subject=f"Ticket of {requester}",
            requester=requester,
            channel=channel,
            group=group,
            created_at=created,
            updated_at=created,
            **values,  # type: ignore[arg-type]
        )
        first = Message(ticket.id, MessageKind.PUBLIC, requester, "Help", created_at=created)
        event = Event(ticket.id, "system:intake", "ticket.created", "mail", at=created)
        self.tickets.create(ticket, first, [event])
        return self.tickets.get(ticket.id)

    def change(self, ticket: Ticket, when: str, actor: str = "alice", **values: object) -> Ticket:
        ticket = self.tickets.get(ticket.id)
        event = ticket.change(actor=AGENT.format(actor), reason="golden", **values)
        event = Event(
            ticket.id, event.actor, event.action, event.reason, event.changes, at=at(when)
        )
        self.tickets.save(ticket, [event])
        return self.tickets.get(ticket.id)

    def reply(self, ticket: Ticket, when: str, author: str) -> Ticket:
        ticket = self.tickets.get(ticket.id)
        message = Message(ticket.id, MessageKind.PUBLIC, author, "Answer", created_at=at(when))
        self.tickets.add_message(ticket, message, [])
        return self.tickets.get(ticket.id)

    def note(self, ticket: Ticket, when: str, author: str) -> Ticket:
        ticket = self.tickets.get(ticket.id)
        message = Message(ticket.id, MessageKind.INTERNAL, author, "Note", created_at=at(when))
        self.tickets.add_message(ticket, message, [])
        return self.tickets.get(ticket.id)

    def rate(self, ticket: Ticket, when: str, score: int, comment: str) -> None:
        ticket = self.tickets.get(ticket.id)
        event = Event(
            ticket.id,
            f"customer:{ticket.requester}",
            "ticket.rated",
            comment,
            {"rating": (None, score)},
            at=at(when),
        )
        self.tickets.save(ticket, [event])

    def merge(self, duplicate: Ticket, target: Ticket, when: str) -> None:
        ticket = self.tickets.get(duplicate.id)
        ticket.status = Status.CLOSED
        event = Event(
            ticket.id,
            AGENT.format("alice"),
            "ticket.merged",
            "duplicate",
            {"merged_into": (None, target.id), "status": ("open", "closed")},
            at=at(when),
        )
        self.tickets.save(ticket, [event])

    def sla_records(self, ticket: Ticket, *records: tuple[str, str, str, str]) -> None:
        """Records of targets ``(target, outcome, started, stopped)`` on the ticket's SLA state."""
        ticket = self.tickets.get(ticket.id)
        state = SlaState.load(ticket.sla)
        for target, outcome, started, stopped in records:
            state.records.append(
                Record(
                    target=target,
                    cycle=1,
                    outcome=outcome,  # type: ignore[arg-type]
                    started_at=at(started),
                    stopped_at=at(stopped),
                    goal=at(stopped) - at(started),
                    used=at(stopped) - at(started),
                    business=True,
                    policy="standard",
                    calendar="office",
                )
            )
        ticket.sla = state.dump()
        self.tickets.save(ticket, [])


def build_month(tickets: TicketRepository) -> dict[str, Ticket]:
    """The golden month. Returns the tickets by name (t1..t4)."""
    b = MonthBuilder(tickets)
    # t1: Friday 16:00, answered Monday 10:00 across the weekend, solved 11:00: one reply, never
    # reopened (first-contact resolution); rated 5 then changed to 4 the next morning. Tagged
    # invoice and vip (it counts in both tags' rows), came in on the billing mailbox.
    t1 = b.open(
        "2026-11-06T16:00",
        requester="dana@acme.test",
        channel=Channel.EMAIL,
        group="billing",
        language="en",
        tags=frozenset({"vip", "invoice"}),
        mailbox="billing@example.com",
    )
    b.change(t1, "2026-11-06T16:10", assignee="alice@example.com", status=Status.OPEN)
    b.note(t1, "2026-11-09T09:30", "alice@example.com")
    b.reply(t1, "2026-11-09T10:00", "alice@example.com")
    b.change(t1, "2026-11-09T11:00", status=Status.SOLVED)
    b.sla_records(
        t1,
        ("first_response", "achieved", "2026-11-06T16:00", "2026-11-09T10:00"),
        ("resolution", "breached", "2026-11-06T16:00", "2026-11-09T11:00"),
    )
    b.rate(t1, "2026-11-09T12:00", 5, "Quick!")
    b.rate(t1, "2026-11-10T09:00", 4, "Quick, but I had to ask twice")
    # t2: Wednesday 16:30, answered Friday 09:30 across the Thursday holiday, solved 10:00,
    # reopened by the customer on Saturday 08:00, answered Monday 09:15 (the month's one next
    # reply) and solved again. Tagged invoice.
    t2 = b.open(
        "2026-11-25T16:30",
        requester="eli@Beta.test",
        channel=Channel.PORTAL,
        group="tech",
        language="el",
        tags=frozenset({"invoice"}),
    )
    b.change(
        t2, "2026-11-25T16:40", actor="bahram", assignee="bahram@example.com", status=Status.OPEN
    )
    b.reply(t2, "2026-11-27T09:30", "bahram@example.com")
    b.change(t2, "2026-11-27T10:00", actor="bahram", status=Status.SOLVED)
    b.reply(t2, "2026-11-28T08:00", "eli@beta.test")
    b.change(t2, "2026-11-28T08:00", actor="bahram", status=Status.OPEN)
    b.reply(t2, "2026-11-30T09:15", "bahram@example.com")
    b.change(t2, "2026-11-30T10:00", actor="bahram", status=Status.SOLVED)
    # t3: opened in billing, moved to tech and given to Eleni an hour later; still open.
    t3 = b.open(
        "2026-11-02T09:00",
        requester="fay@acme.test",
        channel=Channel.EMAIL,
        group="billing",
        priority=Priority.HIGH,
    )
    b.change(
        t3,
        "2026-11-02T10:00",
        actor="eleni",
        group="tech",
        assignee="eleni@example.com",
        status=Status.OPEN,
    )
    # t4: a duplicate of t1, merged into it.
    t4 = b.open(
        "2026-11-03T09:00", requester="dana@acme.test", channel=Channel.EMAIL, group="billing"
    )
    b.merge(t4, t1, "2026-11-03T09:30")
    # Outside the month: a ticket of 31 October 23:30 UTC (1 November in Athens).
    t5 = b.open("2026-10-31T23:30", requester="gus@gamma.test", channel=Channel.API, group="tech")
    return {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5}

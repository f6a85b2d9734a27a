"""Use cases against fakes: intake, the routing steps, the acknowledgement, reading."""

from __future__ import annotations

import pytest

from tessera.errors import NotFound
from tessera.mail import acknowledge, intake
from tessera.routing import workflow
from tessera.tickets import reading
from tessera.tickets.model import MessageKind, Status
from tests.fakes import World


def mail(
    subject: str = "Help",
    *,
    sender: str = "dana@customer.test",
    to: str = "support@example.com",
    extra: str = "",
    message_id: str | None = "<m1@customer.test>",
) -> bytes:
    headers = f"From: Dana <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
    if message_id:
        headers += f"Message-ID: {message_id}\r\n"
    return (headers + extra + "\r\nPlease help.").encode()


def deliver(world: World, raw: bytes, ses_id: str = "ses-1", to: str = "support@example.com"):
    world.raw_mail.objects[f"inbound/{ses_id}"] = raw
    return intake.receive_mail(
        world.deps, key=f"inbound/{ses_id}", ses_message_id=ses_id, recipients=[to]
    )


def test_new_mail_opens_a_ticket_starts_routing_and_publishes() -> None:
    world = World()
    outcome = deliver(world, mail(to="Billing <billing@example.com>"), to="billing@example.com")

    assert outcome.result == "created"
    ticket = world.tickets.get(outcome.ticket_id)
    assert (ticket.number, ticket.requester, ticket.mailbox) == (
        1001,
        "dana@customer.test",
        "billing@example.com",
    )
    assert world.workflow.started == [ticket.id]
    assert [kind for kind, _ in world.events.published] == ["ticket.created"]
    thread = world.tickets.thread(ticket.id)
    assert thread.messages[0].text == "Please help."
    assert [e.action for e in thread.events] == ["ticket.created"]


def test_redelivered_mail_is_a_duplicate_and_makes_nothing_new() -> None:
    world = World()
    first = deliver(world, mail())
    second = deliver(world, mail(), ses_id="ses-2")

    assert (second.result, second.ticket_id) == ("duplicate", first.ticket_id)
    assert world.tickets.recent(limit=10).items[0].id == first.ticket_id
    assert len(world.tickets.recent(limit=10).items) == 1


def test_mail_without_message_id_is_deduplicated_by_the_ses_id() -> None:
    world = World()
    first = deliver(world, mail(message_id=None), ses_id="same")
    again = deliver(world, mail(message_id=None), ses_id="same")
    assert (first.result, again.result) == ("created", "duplicate")


def test_reply_joins_its_ticket_and_reopens_it() -> None:
    # Given a ticket waiting on the customer
    world = World()
    opened = deliver(world, mail())
    ticket = world.tickets.get(opened.ticket_id)
    world.tickets.save(
        ticket, [ticket.change(actor="agent:a@example.com", reason="t", status="pending")]
    )

    # When the customer answers the thread
    reply = mail(
        "Re: Help", message_id="<m2@customer.test>", extra="In-Reply-To: <m1@customer.test>\r\n"
    )
    outcome = deliver(world, reply, ses_id="ses-2")

    # Then the reply is on the same ticket, which is open again
    assert (outcome.result, outcome.ticket_id) == ("reply", opened.ticket_id)
    thread = world.tickets.thread(opened.ticket_id)
    assert len(thread.messages) == 2
    assert thread.ticket.status is Status.OPEN
    assert len(world.tickets.recent(limit=10).items) == 1


def test_unreadable_mail_is_quarantined_with_its_reason() -> None:
    world = World()
    outcome = deliver(world, b"Subject: nobody sent this\r\n\r\nbody")
    assert outcome.result == "quarantined"
    [held] = world.tickets.quarantined(limit=10)
    assert held.key == "inbound/ses-1"
    assert "sender" in held.reason


def test_cc_addresses_become_participants_but_support_addresses_do_not() -> None:
    world = World()
    raw = mail(extra="Cc: boss@customer.test, billing@example.com\r\n")
    ticket = world.tickets.get(deliver(world, raw).ticket_id)
    assert ticket.participants == frozenset({"boss@customer.test"})


def test_route_puts_the_ticket_in_its_mailbox_group_with_an_audit_event() -> None:
    world = World()
    created = deliver(world, mail(to="billing@example.com"), to="billing@example.com")
    assert workflow.route(world.deps, created.ticket_id)["group"] == "billing"
    thread = world.tickets.thread(created.ticket_id)
    assert thread.ticket.group == "billing"
    [grouped] = [e for e in thread.events if "group" in e.changes]
    assert grouped.actor == workflow.ROUTING
    assert grouped.changes["group"] == (None, "billing")


def test_route_uses_the_mailbox_group_from_config() -> None:
    world = World()
    world.apply_config(
        "mailboxes", "mailboxes:\n  - address: billing@example.com\n    group: finance\n"
    )
    created = deliver(world, mail(to="billing@example.com"), to="billing@example.com")
    assert workflow.route(world.deps, created.ticket_id)["group"] == "finance"
    events = world.tickets.thread(created.ticket_id).events
    [grouped] = [e for e in events if "group" in e.changes]
    assert "mailboxes config" in grouped.reason


def test_acknowledge_mails_the_requester_once() -> None:
    world = World()
    created = deliver(world, mail())
    first = acknowledge.acknowledge(world.deps, created.ticket_id)
    second = acknowledge.acknowledge(world.deps, created.ticket_id)

    assert (first["sent"], second["sent"]) == (True, False)
    [sent] = world.mailer.sent
    assert sent["to"] == ["dana@customer.test"]
    assert sent["subject"] == "[#1001] We received your request: Help"
    assert sent["headers"]["Auto-Submitted"] == "auto-replied"
    assert sent["headers"]["In-Reply-To"] == "<m1@customer.test>"
    kinds = [m.kind for m in world.tickets.thread(created.ticket_id).messages]
    assert kinds == [MessageKind.PUBLIC, MessageKind.SYSTEM]


def test_routing_failure_lands_on_the_audit_trail() -> None:
    world = World()
    created = deliver(world, mail())
    workflow.record_routing_failure(
        world.deps, created.ticket_id, {"Error": "Boom", "Cause": "assign exploded"}
    )
    last = world.tickets.thread(created.ticket_id).events[-1]
    assert (last.action, last.reason) == ("routing.failed", "Boom: assign exploded")


def test_thread_by_number_and_unknown_number() -> None:
    world = World()
    created = deliver(world, mail())
    assert reading.ticket_thread(world.deps, "1001").ticket.id == created.ticket_id
    with pytest.raises(NotFound):
        reading.ticket_thread(world.deps, "9999")

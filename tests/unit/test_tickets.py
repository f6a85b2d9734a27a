"""The ticket model: how a ticket opens, changes, and refuses bad changes."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from tessera.errors import InvalidTransition, ValidationFailed
from tessera.tickets.model import (
    Channel,
    Message,
    MessageKind,
    Priority,
    Status,
    Ticket,
    new_id,
    open_ticket,
    speaker,
)


def a_ticket(**values: Any) -> Ticket:
    ticket, _ = open_ticket(
        number=1001,
        subject="Printer on fire",
        requester="alice@example.com",
        channel=Channel.EMAIL,
        actor="system:intake",
        reason="mail",
        **values,
    )
    return ticket


def in_status(status: Status) -> Ticket:
    ticket = a_ticket()
    ticket.status = status
    return ticket


# ------------------------------------------------------------------------------ opening


def test_open_ticket_returns_the_ticket_and_its_created_event() -> None:
    # When
    ticket, created = open_ticket(
        number=1042,
        subject="Invoice wrong",
        requester="alice@example.com",
        channel=Channel.PORTAL,
        actor="customer:alice@example.com",
        reason="portal form",
        priority="high",
        tags=["Billing "],
    )

    # Then the ticket is new, with the values given, coerced
    assert ticket.number == 1042
    assert ticket.status == Status.NEW
    assert ticket.priority == Priority.HIGH
    assert ticket.tags == frozenset({"billing"})
    assert ticket.version == 0
    # ... and the event opens its audit trail with exactly the values given
    assert created.ticket_id == ticket.id
    assert created.action == "ticket.created"
    assert created.actor == "customer:alice@example.com"
    assert created.reason == "portal form"
    assert created.at == ticket.created_at
    assert created.changes == {"priority": (None, "high"), "tags": (None, ["billing"])}


def test_open_ticket_refuses_a_field_a_new_ticket_cannot_have() -> None:
    with pytest.raises(ValidationFailed) as raised:
        a_ticket(number_of_pets=3)
    assert raised.value.field == "number_of_pets"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("  Printer\n\ton   fire ", "Printer on fire"),
        ("", "(no subject)"),
        ("   ", "(no subject)"),
        ("x" * 2000, "x" * 998),
    ],
)
def test_subjects_are_cleaned(given: str, stored: str) -> None:
    ticket = Ticket(number=1, subject=given, requester="a@example.com", channel=Channel.API)

    assert ticket.subject == stored


def test_a_subject_must_be_a_string() -> None:
    with pytest.raises(ValidationFailed) as raised:
        Ticket(number=1, subject=None, requester="a@example.com", channel=Channel.API)
    assert raised.value.field == "subject"


def test_the_requester_is_stored_trimmed_and_lower_cased() -> None:
    ticket = Ticket(number=1, subject="s", requester="  Alice@Example.COM ", channel=Channel.API)
    assert ticket.requester == "alice@example.com"


@pytest.mark.parametrize("requester", ["alice", "@example.com", "alice@", "", 42])
def test_a_requester_must_be_an_email_address(requester: Any) -> None:
    with pytest.raises(ValidationFailed) as raised:
        Ticket(number=1, subject="s", requester=requester, channel=Channel.API)
    assert raised.value.field == "requester"


# ------------------------------------------------------------------------------- changing


def test_change_applies_values_and_records_old_and_new() -> None:
    # Given
    ticket = a_ticket()
    before = ticket.updated_at

    # When
    event = ticket.change(
        actor="agent:bob@example.com",
        reason="triage",
        status="open",
        group=" billing ",
        priority="normal",  # unchanged: not recorded
    )

    # Then
    assert ticket.status == Status.OPEN
    assert ticket.group == "billing"
    assert ticket.updated_at >= before
    assert event.ticket_id == ticket.id
    assert event.action == "ticket.updated"
    assert event.actor == "agent:bob@example.com"
    assert event.reason == "triage"
    assert event.changes == {"status": ("new", "open"), "group": (None, "billing")}


def test_a_change_to_the_same_values_records_nothing() -> None:
    ticket = a_ticket(priority="high")
    updated_at = ticket.updated_at

    event = ticket.change(actor="agent:bob@example.com", reason="noop", priority="high")

    assert event.changes == {}
    assert ticket.updated_at == updated_at


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("priority", "whenever"),
        ("status", "archived"),
        ("tags", "vip"),  # a string, not a list
        ("tags", ["vip", 3]),
        ("tags", 5),
        ("tags", None),
        ("custom_fields", {"plan": 3}),
        ("custom_fields", ["plan"]),
        ("group", ""),
        ("assignee", 7),
        ("subject", 12),
        ("number", 2000),  # fixed at creation
        ("requester", "eve@example.com"),  # fixed at creation
        ("favourite_colour", "blue"),
    ],
)
def test_a_bad_change_names_the_field_and_changes_nothing(name: str, value: Any) -> None:
    # Given
    ticket = a_ticket()
    before = ticket.snapshot()

    # When a valid change comes with a bad one
    with pytest.raises(ValidationFailed) as raised:
        ticket.change(actor="agent:bob@example.com", reason="r", language="de", **{name: value})

    # Then the error names the bad field and neither change was applied
    assert raised.value.field == name
    assert ticket.snapshot() == before


def test_clearing_an_optional_field_sets_it_to_none() -> None:
    ticket = a_ticket(assignee="bob@example.com")

    event = ticket.change(actor="agent:bob@example.com", reason="away", assignee=None)

    assert ticket.assignee is None
    assert event.changes == {"assignee": ("bob@example.com", None)}


# ------------------------------------------------------------------------------ lifecycle


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (Status.NEW, Status.OPEN),
        (Status.NEW, Status.CLOSED),
        (Status.OPEN, Status.PENDING),
        (Status.PENDING, Status.ON_HOLD),
        (Status.ON_HOLD, Status.SOLVED),
        (Status.SOLVED, Status.OPEN),  # the requester wrote back
        (Status.SOLVED, Status.CLOSED),
    ],
)
def test_allowed_status_changes(current: Status, new: Status) -> None:
    ticket = in_status(current)

    ticket.change(actor="agent:bob@example.com", reason="r", status=new.value)

    assert ticket.status == new


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (Status.OPEN, Status.NEW),
        (Status.SOLVED, Status.NEW),
        (Status.SOLVED, Status.ON_HOLD),
        *((Status.CLOSED, s) for s in Status if s != Status.CLOSED),
    ],
)
def test_forbidden_status_changes_are_invalid_transitions(current: Status, new: Status) -> None:
    # Given
    ticket = in_status(current)

    # When / Then
    with pytest.raises(InvalidTransition) as raised:
        ticket.change(actor="agent:bob@example.com", reason="r", status=new.value)
    assert raised.value.field == "status"
    assert ticket.status == current


def test_a_closed_ticket_cannot_be_reopened_even_alongside_other_changes() -> None:
    ticket = in_status(Status.CLOSED)

    with pytest.raises(InvalidTransition):
        ticket.change(actor="agent:bob@example.com", reason="r", priority="urgent", status="open")

    assert ticket.priority == Priority.NORMAL


# ---------------------------------------------------------------------------- snapshot, ids


def test_a_snapshot_is_plain_json_ready_values() -> None:
    # Given
    ticket = a_ticket(tags=["b", "a"], custom_fields={"plan": "gold"}, participants=["c@x.io"])
    ticket.due_at = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)

    # When
    snapshot = ticket.snapshot()

    # Then it survives JSON and holds plain values
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot["status"] == "new"
    assert snapshot["channel"] == "email"
    assert snapshot["tags"] == ["a", "b"]
    assert snapshot["participants"] == ["c@x.io"]
    assert snapshot["custom_fields"] == {"plan": "gold"}
    assert snapshot["due_at"] == "2025-03-03T09:30:00+00:00"
    assert snapshot["id"] == ticket.id
    assert snapshot["version"] == 0


def test_new_ids_are_26_crockford_characters_and_unique() -> None:
    ids = [new_id() for _ in range(2000)]

    assert len(set(ids)) == len(ids)
    assert all(len(i) == 26 and set(i) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for i in ids)


def test_new_ids_sort_by_creation_time() -> None:
    # Given ids made a few milliseconds apart (ids within one millisecond are unordered)
    ids = []
    for _ in range(5):
        ids.append(new_id())
        time.sleep(0.003)

    # Then string order is creation order
    assert sorted(ids) == ids


def test_each_message_says_who_it_is_from() -> None:
    # Given dana's ticket with boss in Cc
    ticket, _ = open_ticket(
        number=1,
        subject="s",
        requester="dana@c.test",
        channel=Channel.EMAIL,
        actor="t",
        reason="r",
        participants=["boss@c.test"],
    )

    def message(author: str, kind: MessageKind, mail: str | None = None) -> Message:
        return Message(ticket.id, kind, author, "x", mail_message_id=mail)

    # Then requester, participant, agent, an outsider's held mail and the system are told apart
    assert speaker(ticket, message("dana@c.test", MessageKind.PUBLIC, "<a@c>")) == "requester"
    assert speaker(ticket, message("boss@c.test", MessageKind.PUBLIC, "<b@c>")) == "participant"
    assert speaker(ticket, message("alice@example.com", MessageKind.PUBLIC)) == "agent"
    assert speaker(ticket, message("alice@example.com", MessageKind.INTERNAL)) == "agent"
    assert speaker(ticket, message("eve@evil.test", MessageKind.INTERNAL, "<e@e>")) == "outsider"
    assert speaker(ticket, message("tessera", MessageKind.SYSTEM, "<t@x>")) == "system"

"""The agent workspace's stores, run against DynamoDB (moto, the table from template.yaml) and
against the in-memory fakes, so the logic tests that use the fakes can trust them: settings,
presence in the ticket's partition (and out of its thread), notifications and their unread
count, and Message-IDs claimed beside a message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tessera.adapters.dynamodb.tickets import DynamoTicketRepository
from tessera.adapters.dynamodb.workspace import (
    DynamoAgentSettings,
    DynamoNotifications,
    DynamoPresence,
)
from tessera.errors import AlreadyExists, NotFound, ValidationFailed
from tessera.ports import (
    AgentSettingsStore,
    Notification,
    NotificationStore,
    Presence,
    PresenceStore,
    TicketRepository,
)
from tessera.tickets.model import Message, MessageKind, new_id
from tests.factories import stored_ticket
from tests.fakes.memory import (
    InMemoryAgentSettings,
    InMemoryNotifications,
    InMemoryPresence,
    InMemoryTicketRepository,
)

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ALICE = "alice@example.com"


@dataclass
class Stores:
    tickets: TicketRepository
    settings: AgentSettingsStore
    presence: PresenceStore
    notifications: NotificationStore


@pytest.fixture(params=["memory", "dynamodb"])
def stores(request: pytest.FixtureRequest) -> Stores:
    if request.param == "memory":
        tickets = InMemoryTicketRepository()
        settings = InMemoryAgentSettings()
        return Stores(tickets, settings, InMemoryPresence(tickets), InMemoryNotifications(settings))
    table = request.getfixturevalue("tickets_table")
    return Stores(
        DynamoTicketRepository(table),
        DynamoAgentSettings(table),
        DynamoPresence(table),
        DynamoNotifications(table),
    )


def notification(
    ticket_id: str, number: int, minute: int, notification_id: str | None = None
) -> Notification:
    return Notification(
        agent=ALICE,
        kind="assigned",
        ticket_id=ticket_id,
        number=number,
        subject="Printer",
        at=T0 + timedelta(minutes=minute),
        id=notification_id or new_id(),
    )


def test_settings_are_unset_until_set_and_listed_once_set(stores: Stores) -> None:
    assert stores.settings.get(ALICE).status is None
    assert stores.settings.get(ALICE).notify_assigned is None

    stores.settings.update(ALICE, status="away")
    after = stores.settings.update(ALICE, notify_customer_reply=False)

    assert (after.status, after.notify_assigned, after.notify_customer_reply) == (
        "away",
        None,
        False,
    )
    assert stores.settings.get(ALICE) == after
    assert set(stores.settings.all()) == {ALICE}


def test_presence_reads_the_version_and_records_and_stays_out_of_the_thread(
    stores: Stores,
) -> None:
    ticket = stored_ticket(stores.tickets)
    record = Presence(ALICE, "viewing", T0, T0, T0 + timedelta(seconds=45))
    stores.presence.put(ticket.id, record)
    stores.presence.put(ticket.id, Presence("bob@example.com", "replying", T0, T0, T0))

    version, records = stores.presence.present(ticket.id)

    assert version == ticket.version
    assert sorted(records, key=lambda r: r.agent) == [
        record,
        Presence("bob@example.com", "replying", T0, T0, T0),
    ]
    thread = stores.tickets.thread(ticket.id)
    assert [m.text for m in thread.messages] == ["Please help."]
    with pytest.raises(NotFound):
        stores.presence.present("01ARZ3NDEKTSV4RRFFQ69G5FAV")


def test_notifications_page_newest_first_and_count_unread(stores: Stores) -> None:
    # ULIDs made in one millisecond are in no order: these are, as ones made apart are
    ordered_ids = sorted(new_id() for _ in range(3))
    made = [notification("T1", 1000 + i, i, ordered_ids[i]) for i in range(3)]
    for n in made:
        stores.notifications.add(n)

    first = stores.notifications.page(ALICE, limit=2)
    assert [n.id for n in first.items] == [made[2].id, made[1].id]
    assert first.unread == 3
    assert first.cursor is not None
    rest = stores.notifications.page(ALICE, limit=2, cursor=first.cursor)
    assert [n.id for n in rest.items] == [made[0].id]
    assert rest.items[0] == made[0]

    assert stores.notifications.mark_read(ALICE, [made[0].id, made[0].id, new_id()]) == 1
    assert stores.notifications.mark_read(ALICE, [made[0].id]) == 0
    assert stores.settings.get(ALICE).unread == 2
    assert stores.notifications.mark_all_read(ALICE) == 2
    page = stores.notifications.page(ALICE, limit=10)
    assert page.unread == 0
    assert all(n.read for n in page.items)


def test_another_agents_cursor_is_refused(stores: Stores) -> None:
    for i in range(2):
        stores.notifications.add(notification("T1", 1000 + i, i))
    cursor = stores.notifications.page(ALICE, limit=1).cursor
    assert cursor is not None
    with pytest.raises(ValidationFailed) as refused:
        stores.notifications.page("bob@example.com", limit=1, cursor=cursor)
    assert refused.value.field == "cursor"


def test_message_ids_claimed_beside_a_message_or_alone_find_the_ticket(stores: Stores) -> None:
    ticket = stored_ticket(stores.tickets)
    reply = Message(
        ticket.id, MessageKind.PUBLIC, ALICE, "Done.", mail_message_id="<ours@example.com>"
    )
    stores.tickets.add_message(ticket, reply, [], claims=["<alices@example.com>"])
    stores.tickets.claim_message_id(ticket.id, "<notice@example.com>")

    for claimed in ("<ours@example.com>", "<alices@example.com>", "<notice@example.com>"):
        assert stores.tickets.find_by_mail_message_id(claimed) == ticket.id
    again = Message(ticket.id, MessageKind.PUBLIC, ALICE, "Again.", mail_message_id="<new@x>")
    with pytest.raises(AlreadyExists):
        stores.tickets.add_message(ticket, again, [], claims=["<alices@example.com>"])
    with pytest.raises(AlreadyExists):
        stores.tickets.claim_message_id(ticket.id, "<notice@example.com>")

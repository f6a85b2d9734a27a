"""The agent workspace against fakes: tickets on a customer's behalf, macros, presence,
agents' own settings and availability, notifications, and agents answering by mail."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tessera.config import ConfigError, kinds
from tessera.errors import NotFound, ValidationFailed
from tessera.identity.access import Principal, Role
from tessera.mail import acknowledge, intake
from tessera.mail.intake import Verdicts
from tessera.routing import workflow
from tessera.tickets import canned, conversation
from tessera.tickets.model import Channel, MessageKind, Status, speaker, utcnow
from tessera.workspace import notifications, presence, settings
from tests.fakes import World

ALICE = Principal("alice@example.com", frozenset({Role.AGENT}))
BAHRAM = Principal("bahram@example.com", frozenset({Role.AGENT}))
DANA = Principal("dana@customer.test", frozenset({Role.CUSTOMER}))
GROUPS = """\
groups:
  - name: support
agents:
  - email: alice@example.com
    groups: [support]
  - email: bahram@example.com
    groups: [support]
"""


def world_with_groups() -> World:
    world = World()
    world.apply_config("groups", GROUPS)
    return world


def phone_ticket(world: World, *, notify: bool | None = None) -> str:
    ticket = conversation.create_ticket(
        world.deps,
        ALICE,
        subject="Cannot print invoices",
        body="Dana called: the invoice page prints blank since Monday.",
        requester="dana@customer.test",
        channel="phone",
        notify=notify,
    )
    return ticket.id


# ------------------------------------------------------------- tickets on a customer's behalf
def test_a_phone_ticket_is_the_customers_words_and_the_agent_is_on_the_trail() -> None:
    # When an agent opens a ticket for a caller
    world = World()
    ticket_id = phone_ticket(world)

    # Then it is the customer's ticket, by phone, with their request as its first message
    thread = world.tickets.thread(ticket_id)
    assert thread.ticket.channel is Channel.PHONE
    assert thread.ticket.requester == "dana@customer.test"
    first = thread.messages[0]
    assert (first.kind, first.author) == (MessageKind.PUBLIC, "dana@customer.test")
    assert speaker(thread.ticket, first) == "requester"
    created = next(e for e in thread.events if e.action == "ticket.created")
    assert created.actor == "agent:alice@example.com"
    assert "phone" in created.reason
    # and it is routed like any ticket
    assert world.workflow.started == [ticket_id]


def test_without_notify_the_customer_is_not_mailed_and_routing_still_finishes() -> None:
    world = World()
    ticket_id = phone_ticket(world)

    result = acknowledge.acknowledge(world.deps, ticket_id)

    assert result["sent"] is False
    assert "without notifying" in result["why"]
    assert world.mailer.sent == []
    assert world.tickets.get(ticket_id).routing_since is None  # the reconciler leaves it alone


def test_with_notify_the_customer_gets_the_acknowledgement() -> None:
    world = World()
    ticket_id = phone_ticket(world, notify=True)

    result = acknowledge.acknowledge(world.deps, ticket_id)

    assert result["sent"] is True
    assert world.mailer.sent[0]["to"] == ["dana@customer.test"]


@pytest.mark.parametrize(
    ("field", "values"), [("channel", {"channel": "phone"}), ("notify", {"notify": True})]
)
def test_customers_cannot_choose_the_channel_or_notify(field: str, values: dict) -> None:
    world = World()
    with pytest.raises(ValidationFailed) as refused:
        conversation.create_ticket(world.deps, DANA, subject="s", body="b", **values)
    assert refused.value.field == field


def test_staff_cannot_claim_a_ticket_came_by_mail() -> None:
    world = World()
    with pytest.raises(ValidationFailed) as refused:
        conversation.create_ticket(
            world.deps, ALICE, subject="s", body="b", requester="d@c.test", channel="email"
        )
    assert refused.value.field == "channel"


# --------------------------------------------------------------------------------- macros
MACROS = """\
canned:
  - id: refund
    title: Refund processed
    text: "Refund for #{{ticket.number}} is on its way."
    set: {status: solved, group: billing, tags: [Refund, vip]}
  - id: hello
    title: Hello
    text: Hello {{requester.name}}
"""


def test_a_macro_carries_its_changes_and_a_plain_response_none() -> None:
    world = World()
    world.apply_config("canned", MACROS)
    ticket = conversation.create_ticket(world.deps, DANA, subject="Refund", body="please")

    applied = canned.apply(world.deps, ALICE, ticket.id, "refund")

    assert applied.set == {"status": "solved", "group": "billing", "tags": ("refund", "vip")}
    assert canned.apply(world.deps, ALICE, ticket.id, "hello").set == {}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("    set: {stauts: solved}", "canned[0].set.stauts: unknown key"),
        ("    set: {status: done}", "canned[0].set.status: must be one of"),
        ("    set: {priority: asap}", "canned[0].set.priority: must be one of"),
        ("    set: {tags: []}", "canned[0].set.tags: must list at least one tag"),
        ("    set: {}", "canned[0].set: must set at least one of"),
    ],
)
def test_a_bad_macro_is_refused_with_its_line_and_key(line: str, problem: str) -> None:
    text = "canned:\n  - id: x\n    title: X\n    text: hi\n" + line + "\n"
    with pytest.raises(ConfigError) as refused:
        kinds.validate("canned", text, "canned.yaml")
    assert str(refused.value).startswith("canned.yaml:5: " + problem)


def test_the_shipped_canned_document_is_valid() -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "infra" / "config" / "canned.yaml"
    responses = kinds.validate("canned", path.read_text(encoding="utf-8"), str(path))
    assert 5 <= len(responses) <= 8
    assert responses["refund-processed"].set["status"] == "solved"
    assert responses["escalate-to-billing"].set["group"] == "billing"


# ------------------------------------------------------------------------------- presence
def test_agents_see_each_other_on_a_ticket_and_not_themselves() -> None:
    # Given Alice viewing a ticket
    world = World()
    ticket = conversation.create_ticket(world.deps, DANA, subject="s", body="b")
    start = utcnow()
    first = presence.here(world.deps, ALICE, ticket.id, "viewing", now=start)
    assert first.others == []
    assert first.version == ticket.version

    # When Bahram opens it and starts replying
    seen = presence.here(
        world.deps, BAHRAM, ticket.id, "replying", now=start + timedelta(seconds=5)
    )

    # Then he sees Alice (since she came), and she sees him replying
    assert [(p.agent, p.activity, p.since) for p in seen.others] == [
        ("alice@example.com", "viewing", start)
    ]
    again = presence.here(
        world.deps, ALICE, ticket.id, "viewing", now=start + timedelta(seconds=15)
    )
    assert [(p.agent, p.activity) for p in again.others] == [("bahram@example.com", "replying")]
    # and her "since" is kept while she stays
    later = presence.here(
        world.deps, BAHRAM, ticket.id, "viewing", now=start + timedelta(seconds=20)
    )
    assert later.others[0].since == start
    # one Query per call
    assert world.presence.queries == 4


def test_expired_and_departed_agents_are_not_present() -> None:
    world = World()
    ticket = conversation.create_ticket(world.deps, DANA, subject="s", body="b")
    start = utcnow()
    presence.here(world.deps, ALICE, ticket.id, "viewing", now=start)
    presence.here(world.deps, BAHRAM, ticket.id, "viewing", now=start)

    # Alice's record is past its time (still stored: TTL deletes late) ...
    late = start + timedelta(seconds=presence.TTL_SECONDS + 1)
    assert presence.here(world.deps, BAHRAM, ticket.id, "viewing", now=late).others == []
    # ... and Bahram left the page
    presence.leave(world.deps, BAHRAM, ticket.id, now=late)
    fresh = presence.here(world.deps, ALICE, ticket.id, "viewing", now=late)
    assert fresh.others == []


def test_presence_on_no_ticket_is_not_found_and_activities_are_checked() -> None:
    world = World()
    with pytest.raises(NotFound):
        presence.here(world.deps, ALICE, "01ARZ3NDEKTSV4RRFFQ69G5FAV", "viewing")
    ticket = conversation.create_ticket(world.deps, DANA, subject="s", body="b")
    with pytest.raises(ValidationFailed) as refused:
        presence.here(world.deps, ALICE, ticket.id, "typing")
    assert refused.value.field == "activity"


# --------------------------------------------------------------- own settings, availability
def test_me_reads_the_directory_and_my_own_settings_win() -> None:
    world = world_with_groups()
    before = settings.me(world.deps, ALICE)
    assert (before.role, before.groups, before.status) == ("agent", ("support",), "available")
    assert before.notify == {"assigned": True, "customer_reply": True, "weekly_digest": False}

    after = settings.update_me(world.deps, ALICE, status="away", notify={"assigned": False})

    assert (after.status, after.notify) == (
        "away",
        {"assigned": False, "customer_reply": True, "weekly_digest": False},
    )
    assert settings.me(world.deps, ALICE) == after


def test_an_agent_who_is_away_gets_no_new_tickets() -> None:
    # Given Alice set herself away
    world = world_with_groups()
    settings.update_me(world.deps, ALICE, status="away")

    # When two tickets are routed to the group
    assignees = []
    for _ in range(2):
        ticket = conversation.create_ticket(world.deps, DANA, subject="s", body="b")
        world.tickets.save(ticket, [ticket.change(actor="t", reason="t", group="support")])
        assignees.append(workflow.assign(world.deps, ticket.id)["assignee"])

    # Then Bahram gets both
    assert assignees == ["bahram@example.com", "bahram@example.com"]


def test_bad_settings_are_refused_by_name() -> None:
    world = World()
    with pytest.raises(ValidationFailed) as refused:
        settings.update_me(world.deps, ALICE, notify={"everything": False})
    assert refused.value.field == "notify.everything"
    with pytest.raises(ValidationFailed):
        settings.update_me(world.deps, ALICE, status="busy")


# --------------------------------------------------------------------------- notifications
def routed_ticket(world: World) -> str:
    ticket = conversation.create_ticket(world.deps, DANA, subject="Printer", body="It is jammed.")
    world.tickets.save(ticket, [ticket.change(actor="t", reason="t", group="support")])
    workflow.assign(world.deps, ticket.id)
    return ticket.id


def test_an_assignment_by_routing_is_listed_and_mailed_to_the_agent() -> None:
    world = world_with_groups()
    ticket_id = routed_ticket(world)
    ticket = world.tickets.get(ticket_id)
    agent = ticket.assignee
    assert agent is not None

    page = notifications.listing(world.deps, Principal(agent, frozenset({Role.AGENT})), limit=10)
    assert [(n.kind, n.ticket_id, n.number, n.read) for n in page.items] == [
        ("assigned", ticket_id, ticket.number, False)
    ]
    assert page.unread == 1
    (mail,) = [m for m in world.mailer.sent if m["to"] == [agent]]
    assert f"[#{ticket.number}]" in mail["subject"]
    assert f"https://help.example.com/console/#/tickets/{ticket_id}" in mail["text"]
    assert mail["headers"]["Reply-To"] == "support@example.com"
    assert mail["headers"]["X-Tessera-Thread"]
    assert "It is jammed." in mail["text"]


def test_taking_a_ticket_yourself_tells_nobody_and_assigning_someone_tells_them() -> None:
    world = world_with_groups()
    ticket = conversation.create_ticket(world.deps, DANA, subject="s", body="b")

    conversation.update(
        world.deps, ALICE, ticket.id, {"assignee": ALICE.email}, expected_version=None
    )
    assert notifications.listing(world.deps, ALICE, limit=10).items == []
    assert world.mailer.sent == []

    conversation.update(
        world.deps, ALICE, ticket.id, {"assignee": BAHRAM.email}, expected_version=None
    )
    assert [n.kind for n in notifications.listing(world.deps, BAHRAM, limit=10).items] == [
        "assigned"
    ]
    assert [m["to"] for m in world.mailer.sent] == [[BAHRAM.email]]
    assert "by alice@example.com" in world.mailer.sent[0]["text"]


def test_a_customer_reply_tells_the_assignee_and_mail_can_be_switched_off() -> None:
    world = world_with_groups()
    ticket = conversation.create_ticket(world.deps, DANA, subject="s", body="b")
    conversation.update(
        world.deps, ALICE, ticket.id, {"assignee": ALICE.email}, expected_version=None
    )
    settings.update_me(world.deps, ALICE, notify={"customer_reply": False})

    conversation.reply(world.deps, DANA, ticket.id, text="Still broken.")

    listed = notifications.listing(world.deps, ALICE, limit=10)
    assert [n.kind for n in listed.items] == ["customer_reply"]
    assert world.mailer.sent == []  # the list has it; the mail was switched off


def test_notifications_are_marked_read_by_id_or_all() -> None:
    world = world_with_groups()
    ticket = conversation.create_ticket(world.deps, DANA, subject="s", body="b")
    conversation.update(
        world.deps, BAHRAM, ticket.id, {"assignee": ALICE.email}, expected_version=None
    )
    for text in ("one", "two"):
        conversation.reply(world.deps, DANA, ticket.id, text=text)
    items = notifications.listing(world.deps, ALICE, limit=10).items
    assert len(items) == 3

    assert notifications.mark_read(world.deps, ALICE, ids=[items[0].id, items[0].id, "nope"]) == 2
    assert [n.read for n in notifications.listing(world.deps, ALICE, limit=10).items] == [
        True,
        False,
        False,
    ]
    assert notifications.mark_read(world.deps, ALICE, everything=True) == 0
    assert all(n.read for n in notifications.listing(world.deps, ALICE, limit=10).items)


# ------------------------------------------------------------------- agents answering by mail
def mail_from(
    sender: str, body: str, *, extra: str = "", message_id: str = "<a1@example.com>"
) -> bytes:
    headers = (
        f"From: {sender}\r\nTo: support@example.com\r\nSubject: Re: [#1001] Printer\r\n"
        f"Message-ID: {message_id}\r\n{extra}"
    )
    return (headers + "\r\n" + body).encode()


def deliver(
    world: World, raw: bytes, ses_id: str, verdicts: Verdicts | None = None
) -> intake.MailOutcome:
    world.raw_mail.objects[f"inbound/{ses_id}"] = raw
    return intake.receive_mail(
        world.deps,
        key=f"inbound/{ses_id}",
        ses_message_id=ses_id,
        recipients=["support@example.com"],
        verdicts=verdicts,
    )


def assigned_to_alice(world: World) -> tuple[str, str]:
    """A portal ticket (no mail in its thread) assigned to Alice by Bahram; the Message-ID of
    the notification mail she got."""
    ticket = conversation.create_ticket(world.deps, DANA, subject="Printer", body="Jammed.")
    conversation.update(
        world.deps, BAHRAM, ticket.id, {"assignee": ALICE.email}, expected_version=None
    )
    (notice,) = [m for m in world.mailer.sent if m["to"] == [ALICE.email]]
    return ticket.id, notice["headers"]["Message-ID"]


def test_an_agents_answer_by_mail_is_their_public_reply_mailed_to_the_customer() -> None:
    # Given Alice's notification mail about a ticket
    world = world_with_groups()
    ticket_id, notice_id = assigned_to_alice(world)

    # When she answers it from her mailbox, quoting it
    body = (
        "Please reset the printer with the button at the back.\r\n\r\n"
        "On Mon, 1 Dec 2026 at 10:00, Support <support@example.com> wrote:\r\n"
        "> Ticket #1001 is assigned to you\r\n"
    )
    extra = f"In-Reply-To: {notice_id}\r\nReferences: {notice_id}\r\n"
    outcome = deliver(world, mail_from("Alice <alice@example.com>", body, extra=extra), "s1")

    # Then it is her reply: public, hers, without the quote, mailed to Dana; the ticket waits
    assert (outcome.result, outcome.reason) == ("reply", "agent")
    thread = world.tickets.thread(ticket_id)
    reply = thread.messages[-1]
    assert (reply.kind, reply.author) == (MessageKind.PUBLIC, "alice@example.com")
    assert reply.text == "Please reset the printer with the button at the back."
    assert speaker(thread.ticket, reply) == "agent"
    assert thread.ticket.status is Status.PENDING
    to_customer = world.mailer.sent[-1]
    assert to_customer["to"] == ["dana@customer.test"]
    assert "reset the printer" in to_customer["text"]
    assert "assigned to you" not in to_customer["text"]
    # and a redelivery adds nothing
    assert (
        deliver(world, mail_from("alice@example.com", body, extra=extra), "s2").result
        == "duplicate"
    )


def test_an_agents_mail_starting_with_the_note_marker_is_an_internal_note() -> None:
    world = world_with_groups()
    ticket_id, notice_id = assigned_to_alice(world)
    sent_before = len(world.mailer.sent)

    body = "#note\r\nCalled her back, she will try tomorrow.\r\n"
    outcome = deliver(
        world, mail_from("alice@example.com", body, extra=f"In-Reply-To: {notice_id}\r\n"), "s1"
    )

    assert outcome.reason == "note"
    thread = world.tickets.thread(ticket_id)
    note = thread.messages[-1]
    assert (note.kind, note.author, note.text) == (
        MessageKind.INTERNAL,
        "alice@example.com",
        "Called her back, she will try tomorrow.",
    )
    assert speaker(thread.ticket, note) == "agent"
    assert len(world.mailer.sent) == sent_before  # nobody is mailed a note


@pytest.mark.parametrize(
    ("verdicts", "extra"),
    [
        (Verdicts(dmarc="FAIL"), ""),
        (Verdicts(dmarc="GRAY", spf="FAIL"), ""),
        (Verdicts(), "Auto-Submitted: auto-replied\r\n"),
    ],
    ids=["dmarc-fail", "no-dmarc-policy-and-spf-fail", "out-of-office"],
)
def test_a_staff_address_that_does_not_authenticate_or_a_robot_is_held(
    verdicts: Verdicts, extra: str
) -> None:
    world = world_with_groups()
    ticket_id, notice_id = assigned_to_alice(world)
    sent_before = len(world.mailer.sent)

    raw = mail_from(
        "alice@example.com", "Refund approved!", extra=f"In-Reply-To: {notice_id}\r\n{extra}"
    )
    outcome = deliver(world, raw, "s1", verdicts)

    assert outcome.reason == "held"
    thread = world.tickets.thread(ticket_id)
    held = thread.messages[-1]
    assert held.kind is MessageKind.INTERNAL
    assert speaker(thread.ticket, held) == "outsider"
    assert "staff address alice@example.com" in thread.events[-1].reason
    assert len(world.mailer.sent) == sent_before
    assert thread.ticket.status is Status.NEW


def test_a_customer_reply_by_mail_tells_the_assignee() -> None:
    world = world_with_groups()
    _ticket_id, notice_id = assigned_to_alice(world)

    raw = mail_from("dana@customer.test", "Still jammed.", extra=f"In-Reply-To: {notice_id}\r\n")
    assert deliver(world, raw, "s1").result == "reply"

    kinds_listed = [n.kind for n in notifications.listing(world.deps, ALICE, limit=10).items]
    assert kinds_listed == ["customer_reply", "assigned"]
    assert "Still jammed." in world.mailer.sent[-1]["text"]
    assert world.mailer.sent[-1]["to"] == [ALICE.email]


def test_rules_match_a_phone_ticket_by_its_channel() -> None:
    # Given a rule for phone tickets
    world = World()
    world.apply_config(
        "rules",
        "rules:\n  - name: callers\n    when: {channel: phone}\n    then: [{group: phone-desk}]\n",
    )

    # When an agent's phone ticket and a portal ticket are routed
    phoned = phone_ticket(world)
    portal = conversation.create_ticket(world.deps, DANA, subject="s", body="b").id
    for ticket_id in (phoned, portal):
        workflow.route(world.deps, ticket_id)

    # Then only the phone ticket went to the phone desk
    assert world.tickets.get(phoned).group == "phone-desk"
    assert world.tickets.get(portal).group != "phone-desk"

"""People's actions on tickets (tessera.tickets.conversation) against fakes: visibility, replies
that are stored before they are mailed, lost races retried, reopening, agent loads, SLA clocks."""

from __future__ import annotations

import pytest

from tessera.errors import Conflict, NotFound, PreconditionFailed
from tessera.identity.access import Principal, Role
from tessera.ports import Load
from tessera.tickets import conversation, reading
from tessera.tickets.model import MessageKind, Status, Ticket
from tests.factories import sla_config
from tests.fakes import World

AGENT = Principal("alice@example.com", frozenset({Role.AGENT}))
CAROL = Principal("carol@customer.test", frozenset({Role.CUSTOMER}))
SAM = Principal("sam@customer.test", frozenset({Role.CUSTOMER}))


def carols_ticket(world: World) -> Ticket:
    return conversation.create_ticket(world.deps, CAROL, subject="Printer", body="Broken")


def test_a_stranger_cannot_tell_a_foreign_ticket_from_a_missing_one() -> None:
    world = World()
    ticket = carols_ticket(world)
    with pytest.raises(NotFound) as foreign:
        reading.thread_for(world.deps, SAM, ticket.id)
    with pytest.raises(NotFound) as missing:
        reading.thread_for(world.deps, SAM, "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert str(foreign.value) == str(missing.value)


def test_agent_reply_is_stored_then_mailed_and_waits_on_the_customer() -> None:
    world = World()
    ticket = carols_ticket(world)

    replied = conversation.reply(world.deps, AGENT, ticket.id, text="Turn it off and on.")

    assert replied.status is Status.PENDING
    thread = world.tickets.thread(ticket.id)
    stored = [m for m in thread.messages if m.author == AGENT.email]
    assert [m.kind for m in stored] == [MessageKind.PUBLIC]
    [mail] = world.mailer.sent
    assert mail["to"][0] == "carol@customer.test"
    assert "Turn it off and on." in mail["text"]
    assert [e.action for e in thread.events][-2:] == ["ticket.updated", "mail.sent"]


def test_a_reply_that_loses_a_race_with_routing_is_retried_on_a_fresh_read() -> None:
    world = World()
    ticket = carols_ticket(world)
    original = world.tickets.add_message
    calls = {"n": 0}

    def racing(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            # routing saved the ticket between our read and our write
            fresh = world.tickets.get(ticket.id)
            world.tickets.save(fresh, [])
            raise Conflict("stale")
        original(*args, **kwargs)  # type: ignore[arg-type]

    world.tickets.add_message = racing  # type: ignore[method-assign]
    conversation.reply(world.deps, CAROL, ticket.id, text="Any news?")
    assert calls["n"] == 2
    assert [m.text for m in world.tickets.thread(ticket.id).messages][-1] == "Any news?"


def test_a_reply_that_keeps_losing_gives_up_with_a_conflict_once_its_time_is_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a ticket every write to which loses a race, and a short retry budget
    world = World()
    ticket = carols_ticket(world)
    monkeypatch.setattr(conversation, "RETRY_SECONDS", 0.3)
    tries = {"n": 0}

    def always_stale(*_args: object, **_kwargs: object) -> None:
        tries["n"] += 1
        raise Conflict("stale")

    world.tickets.add_message = always_stale  # type: ignore[method-assign]
    # When Carol replies, then the reply is refused as a conflict after several fresh tries
    with pytest.raises(Conflict):
        conversation.reply(world.deps, CAROL, ticket.id, text="Any news?")
    assert tries["n"] > 2
    assert [m.text for m in world.tickets.thread(ticket.id).messages][-1] != "Any news?"


def test_if_match_with_an_old_version_is_refused_not_retried() -> None:
    world = World()
    ticket = carols_ticket(world)
    conversation.update(world.deps, AGENT, ticket.id, {"priority": "high"}, expected_version=None)
    with pytest.raises(PreconditionFailed):
        conversation.update(
            world.deps, AGENT, ticket.id, {"priority": "low"}, expected_version=ticket.version
        )


def test_if_match_that_loses_the_race_at_write_time_is_a_failed_precondition() -> None:
    # Given a change whose If-Match version was current when read, but not when written
    world = World()
    ticket = carols_ticket(world)
    original = world.tickets.save

    def racing(*args: object, **kwargs: object) -> None:
        world.tickets.save = original  # type: ignore[method-assign]
        original(world.tickets.get(ticket.id), [])  # another agent's change got there first
        original(*args, **kwargs)  # type: ignore[arg-type]

    world.tickets.save = racing  # type: ignore[method-assign]
    # Then it is refused as If-Match naming an old version (412), not a 409 to retry blindly
    with pytest.raises(PreconditionFailed):
        conversation.update(
            world.deps, AGENT, ticket.id, {"priority": "low"}, expected_version=ticket.version
        )


def test_a_customer_reply_to_a_solved_ticket_reopens_and_reroutes_it() -> None:
    world = World()
    ticket = carols_ticket(world)
    conversation.update(world.deps, CAROL, ticket.id, {"status": "solved"}, expected_version=None)

    reopened = conversation.reply(world.deps, CAROL, ticket.id, text="It broke again")

    assert reopened.status is Status.OPEN
    assert world.workflow.started == [ticket.id, f"{ticket.id}-r{reopened.version}"]


def test_solving_or_reassigning_gives_the_agent_one_open_ticket_back() -> None:
    world = World()
    ticket = carols_ticket(world)
    world.agent_loads._loads = {  # as if the assign step had counted two tickets on alice
        "alice@example.com": Load("alice@example.com", 2, 2, 0),
    }
    conversation.update(
        world.deps, AGENT, ticket.id, {"assignee": "alice@example.com"}, expected_version=None
    )
    conversation.update(world.deps, AGENT, ticket.id, {"status": "solved"}, expected_version=None)
    assert world.agent_loads.loads()["alice@example.com"].open == 1

    other = carols_ticket(world)
    conversation.update(
        world.deps, AGENT, other.id, {"assignee": "alice@example.com"}, expected_version=None
    )
    conversation.update(
        world.deps, AGENT, other.id, {"assignee": "bob@example.com"}, expected_version=None
    )
    assert world.agent_loads.loads()["alice@example.com"].open == 0


SLA = sla_config(calendar="always")


def test_the_first_agent_reply_stops_the_first_response_clock() -> None:
    world = World()
    world.apply_config("sla", SLA)
    ticket = carols_ticket(world)
    assert world.tickets.get(ticket.id).due_at is not None

    conversation.reply(world.deps, AGENT, ticket.id, text="On it.")

    assert world.tickets.get(ticket.id).due_at is None


def test_a_portal_ticket_is_acknowledged_by_mail_like_a_mailed_one() -> None:
    from tessera.mail.acknowledge import acknowledge

    world = World()
    ticket = carols_ticket(world)

    result = acknowledge(world.deps, ticket.id)

    assert result["sent"] is True
    [mail] = world.mailer.sent
    assert mail["to"] == ["carol@customer.test"]
    assert f"#{ticket.number}" in mail["subject"]


def test_agent_views_narrow_to_unassigned_and_to_one_priority() -> None:
    from tessera.tickets import reading

    world = World()
    first, second, third = (carols_ticket(world) for _ in range(3))
    for ticket, changes in (
        (first, {"group": "support", "status": "open"}),
        (second, {"group": "support", "status": "open", "assignee": "alice@example.com"}),
        (third, {"group": "support", "status": "open", "priority": "urgent"}),
    ):
        conversation.update(world.deps, AGENT, ticket.id, changes, expected_version=None)

    def ids(**query: str | None) -> set[str]:
        page = reading.view(
            world.deps, AGENT, group="support", status="open", limit=25, cursor=None, **query
        )
        return {t.id for t in page.items}

    assert ids(view="group") == {first.id, second.id, third.id}
    assert ids(view="unassigned") == {first.id, third.id}
    assert ids(view="unassigned", priority="urgent") == {third.id}


FIELDS = """\
fields:
  - key: product
    type: choice
    choices: [Web app, Billing]
    customer_visible: true
  - key: plan
    type: choice
    choices: [free, pro]
"""


def test_custom_fields_follow_their_definitions() -> None:
    from tessera.errors import ValidationFailed

    world = World()
    world.apply_config("fields", FIELDS)
    # A customer may set a customer-visible field to one of its choices
    ticket = conversation.create_ticket(
        world.deps, CAROL, subject="s", body="b", custom_fields={"product": "Billing"}
    )
    assert ticket.custom_fields == {"product": "Billing"}
    # but not a staff-only field, an unknown field, or a value outside the choices
    for fields, name in (
        ({"plan": "pro"}, "custom_fields.plan"),
        ({"colour": "red"}, "custom_fields.colour"),
        ({"product": "Cheese"}, "custom_fields.product"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            conversation.create_ticket(
                world.deps, CAROL, subject="s", body="b", custom_fields=fields
            )
        assert refused.value.field == name
    # while an agent may set the staff-only field
    changed = conversation.update(
        world.deps, AGENT, ticket.id, {"custom_fields": {"plan": "pro"}}, expected_version=None
    )
    assert changed.custom_fields == {"plan": "pro"}


def test_field_definitions_are_refused_naming_the_line() -> None:
    from tessera.config import ConfigError, kinds

    bad = FIELDS.replace("    choices: [free, pro]\n", "")
    with pytest.raises(ConfigError) as refused:
        kinds.validate("fields", bad, "fields.yaml")
    assert str(refused.value).startswith("fields.yaml:6: fields[1]: a choice field needs")


def test_the_open_ticket_limit_holds_on_the_portal_as_it_does_for_mail() -> None:
    # Given the mail-filters limit of 3 open tickets per requester, and carol at it
    world = World()
    world.apply_config("mail-filters", "limits:\n  open_tickets_per_requester: 3\n")
    for n in range(3):
        conversation.create_ticket(world.deps, CAROL, subject=f"#{n}", body="x")
    # When she opens one more through the portal, it is refused, saying why
    with pytest.raises(conversation.TooManyOpenTickets, match="3 open tickets"):
        conversation.create_ticket(world.deps, CAROL, subject="one more", body="x")
    # And an agent may still open one for her (staff decide), and once one is solved she may too
    conversation.create_ticket(
        world.deps, AGENT, subject="for carol", body="x", requester=CAROL.email
    )
    mine = world.tickets.requested_by(CAROL.email, limit=10).items
    conversation.update(world.deps, CAROL, mine[-1].id, {"status": "solved"}, expected_version=None)
    conversation.update(world.deps, CAROL, mine[-2].id, {"status": "solved"}, expected_version=None)
    conversation.create_ticket(world.deps, CAROL, subject="now fine", body="x")

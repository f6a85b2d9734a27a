"""Agents' tools against fakes: merging duplicates, canned responses, requester history."""

from __future__ import annotations

import pytest

from tessera.config import ConfigError, kinds
from tessera.errors import Forbidden, NotFound, ValidationFailed
from tessera.identity.access import Principal, Role
from tessera.tickets import canned, conversation, merge, reading
from tessera.tickets.model import MessageKind, Status
from tests.fakes import World

CAROL = Principal("carol@customer.test", frozenset({Role.CUSTOMER}))
DANA = Principal("dana.smith@customer.test", frozenset({Role.CUSTOMER}))
ALICE = Principal("alice@example.com", frozenset({Role.AGENT}))

CANNED = """\
canned:
  - id: printer-reset
    title: Reset the printer
    text: "Hello {{requester.name}}, about #{{ticket.number}}: hold reset. {{agent.name}}"
"""


def test_merge_quotes_the_duplicate_closes_it_with_a_link_and_audits_both() -> None:
    # Given dana's ticket and her duplicate of it
    world = World()
    target = conversation.create_ticket(world.deps, DANA, subject="Printer", body="first")
    duplicate = conversation.create_ticket(world.deps, DANA, subject="Printer!", body="again")
    # When an agent merges the duplicate into the first
    merged, into = merge.merge(world.deps, ALICE, duplicate.id, str(target.number))
    # Then the duplicate is closed with a link and keeps its messages
    dup_thread = world.tickets.thread(duplicate.id)
    assert merged.status is Status.CLOSED
    assert dup_thread.messages[0].text == "again"
    assert f"Merged into #{target.number}" in dup_thread.messages[-1].text
    # And the target quotes it internally; both trails record the merge; the bus hears it
    target_thread = world.tickets.thread(target.id)
    carried = target_thread.messages[-1]
    assert (carried.kind, "again" in carried.text) == (MessageKind.INTERNAL, True)
    assert "ticket.merged" in [e.action for e in dup_thread.events]
    assert "ticket.merged_in" in [e.action for e in target_thread.events]
    assert ("ticket.merged", target.id) in [(k, d.get("into")) for k, d in world.events.published]
    assert into.id == target.id


def test_merge_adds_another_requester_as_participant() -> None:
    world = World()
    target = conversation.create_ticket(world.deps, DANA, subject="Outage", body="down")
    other = conversation.create_ticket(world.deps, CAROL, subject="Outage too", body="down")
    merge.merge(world.deps, ALICE, other.id, target.id)
    assert "carol@customer.test" in world.tickets.get(target.id).participants


@pytest.mark.parametrize("who", [CAROL, DANA])
def test_customers_cannot_merge(who: Principal) -> None:
    world = World()
    first = conversation.create_ticket(world.deps, DANA, subject="a", body="a")
    second = conversation.create_ticket(world.deps, DANA, subject="b", body="b")
    with pytest.raises(Forbidden):
        merge.merge(world.deps, who, second.id, first.id)


def test_merge_refuses_itself_and_closed_tickets() -> None:
    world = World()
    first = conversation.create_ticket(world.deps, DANA, subject="a", body="a")
    second = conversation.create_ticket(world.deps, DANA, subject="b", body="b")
    with pytest.raises(ValidationFailed) as itself:
        merge.merge(world.deps, ALICE, first.id, first.id)
    merge.merge(world.deps, ALICE, second.id, first.id)
    with pytest.raises(ValidationFailed) as again:
        merge.merge(world.deps, ALICE, second.id, first.id)
    assert (itself.value.field, again.value.field) == ("into", "ticket")


def test_canned_response_renders_its_placeholders_for_a_ticket() -> None:
    # Given an applied canned document
    world = World()
    world.apply_config("canned", CANNED)
    ticket = conversation.create_ticket(world.deps, DANA, subject="Printer", body="x")
    # When an agent lists and applies it
    listed = canned.responses(world.deps, ALICE)
    applied = canned.apply(world.deps, ALICE, ticket.id, "printer-reset")
    # Then the placeholders are filled in
    assert [r.id for r in listed] == ["printer-reset"]
    assert applied.text == f"Hello Dana Smith, about #{ticket.number}: hold reset. Alice"
    with pytest.raises(NotFound):
        canned.apply(world.deps, ALICE, ticket.id, "no-such")
    with pytest.raises(Forbidden):
        canned.responses(world.deps, DANA)


def test_an_unknown_placeholder_is_refused_naming_the_line() -> None:
    text = CANNED.replace("{{agent.name}}", "{{agent.phone}}")
    with pytest.raises(ConfigError) as refused:
        kinds.validate("canned", text)
    assert "canned.yaml:4: canned[0].text: unknown placeholder {{agent.phone}}" in str(
        refused.value
    )


def test_requester_history_lists_the_requesters_other_tickets() -> None:
    world = World()
    first = conversation.create_ticket(world.deps, DANA, subject="one", body="x")
    second = conversation.create_ticket(world.deps, DANA, subject="two", body="x")
    conversation.create_ticket(world.deps, CAROL, subject="not hers", body="x")
    page = reading.requester_history(world.deps, ALICE, second.id, limit=10, cursor=None)
    assert [t.id for t in page.items] == [first.id]
    with pytest.raises(Forbidden):
        reading.requester_history(world.deps, DANA, second.id, limit=10, cursor=None)


def test_merge_into_an_unknown_ticket_names_the_field() -> None:
    world = World()
    duplicate = conversation.create_ticket(world.deps, DANA, subject="a", body="a")
    with pytest.raises(ValidationFailed) as refused:
        merge.merge(world.deps, ALICE, duplicate.id, "999999")
    assert refused.value.field == "into"
    assert world.tickets.get(duplicate.id).status is not Status.CLOSED

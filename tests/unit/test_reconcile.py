"""The routing reconciler against fakes: a ticket whose routing never finished is routed again,
once per attempt, and after the last attempt its failure is recorded; finished routing clears
the wait."""

from __future__ import annotations

from datetime import timedelta

from tessera.routing import reconcile, workflow
from tessera.tickets.model import utcnow
from tests.factories import stored_ticket
from tests.fakes import World

LATER = reconcile.WAIT + timedelta(seconds=1)


def test_a_new_ticket_waits_for_routing_until_the_workflow_acknowledges_it() -> None:
    # Given a stored ticket (it waits from the moment it is opened)
    world = World()
    ticket = stored_ticket(world.tickets)
    assert ticket.routing_since == ticket.created_at
    assert world.tickets.awaiting_routing(utcnow(), limit=10) == [ticket.id]
    # When the workflow's steps run to the end
    workflow.route(world.deps, ticket.id)
    workflow.assign(world.deps, ticket.id)
    workflow.acknowledge(world.deps, ticket.id)
    # Then it waits no more, and the reconciler has nothing to do
    assert world.tickets.get(ticket.id).routing_since is None
    result = reconcile.reconcile(world.deps, utcnow() + LATER)
    assert (result.restarted, world.workflow.started) == ([], [])


def test_spam_that_stops_after_the_route_step_waits_no_more() -> None:
    world = World()
    world.apply_config(
        "rules",
        "rules:\n  - name: spam\n    when: {subject: {contains: win}}\n    then: [{spam: true}]\n",
    )
    ticket = stored_ticket(world.tickets, subject="You win")
    outcome = workflow.route(world.deps, ticket.id)
    assert outcome["proceed"] is False
    assert world.tickets.get(ticket.id).routing_since is None


def test_a_ticket_whose_routing_never_finished_is_routed_again_once_per_attempt() -> None:
    # Given a ticket whose routing was never started (its intake's start failed for good)
    world = World()
    ticket = stored_ticket(world.tickets)
    # When the reconciler runs before the wait is over, nothing happens
    assert reconcile.reconcile(world.deps, ticket.created_at + timedelta(minutes=1)).restarted == []
    # When it runs after the wait, twice at the same instant (two overlapping runs)
    now = ticket.created_at + LATER
    first = reconcile.reconcile(world.deps, now)
    second = reconcile.reconcile(world.deps, now)
    # Then the routing was started again once, under the attempt's own execution name
    assert first.restarted == [ticket.id]
    assert second.restarted == []
    assert world.workflow.started == [f"{ticket.id}-a1"]
    again = world.tickets.thread(ticket.id)
    assert again.ticket.routing_attempts == 1
    assert [e.action for e in again.events][-1] == "routing.restarted"


def test_after_the_last_attempt_the_failure_is_recorded_and_the_ticket_is_queued() -> None:
    # Given a ticket whose routing never finishes, however often it is started
    world = World()
    world.apply_config(
        "mailboxes", "mailboxes:\n  - address: support@example.com\n    group: support\n"
    )
    ticket = stored_ticket(world.tickets, mailbox="support@example.com")
    now = ticket.created_at
    for _ in range(reconcile.MAX_ATTEMPTS):
        now += LATER
        assert reconcile.reconcile(world.deps, now).restarted == [ticket.id]
    # When the reconciler finds it waiting once more
    result = reconcile.reconcile(world.deps, now + LATER)
    # Then it gives up: the ticket is in its mailbox's group, the failure on its audit trail
    assert result.given_up == [ticket.id]
    final = world.tickets.thread(ticket.id)
    assert (final.ticket.group, final.ticket.routing_since) == ("support", None)
    [failed] = [e for e in final.events if e.action == "routing.failed"]
    assert "RoutingNeverFinished" in failed.reason
    assert len(world.workflow.started) == reconcile.MAX_ATTEMPTS

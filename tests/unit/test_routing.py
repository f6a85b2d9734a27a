"""The routing workflow's steps against fakes: rules applied to tickets with their audit trail,
assignment strategies, availability, fairness and races."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

import pytest

from tessera import config
from tessera.config import kinds
from tessera.errors import Conflict
from tessera.mail import intake
from tessera.ports import Load
from tessera.routing import assignment, workflow
from tessera.routing.assignment import choose
from tessera.routing.directory import ConfigDirectory
from tessera.tickets.model import Channel, MessageKind, Status, Ticket, open_ticket
from tests.fakes import World

RULES = """\
mode: all-match
requesters:
  - domain: bigcorp.test
    vip: true
rules:
  - name: junk
    when: {subject: {words: [casino]}}
    then: [{spam: true}]
  - name: money
    when: {text: {words: [invoice, refund]}}
    then: [{group: billing}, {tags: [billing]}]
  - name: vip
    when: {requester.vip: true}
    then:
      - priority: {impact: high, urgency: high}
      - tags: [vip]
      - note: VIP customer, answer within the hour.
  - name: outage
    when: {subject: {words: [outage]}}
    then: [{tier: 2}, {reply: "We know about the outage and are on it."}]
"""

GROUPS = """\
groups:
  - name: support
    strategy: round-robin
    escalates_to: support-l2
  - name: support-l2
    strategy: least-loaded
  - name: billing
    strategy: least-loaded
agents:
  - email: alice@example.com
    groups: [support, billing]
  - email: bahram@example.com
    groups: [support, support-l2]
    languages: [fa, en]
  - email: eleni@example.com
    groups: [support-l2]
    skills: [api]
"""


def deliver(
    world: World, subject: str, *, sender: str = "dana@customer.test", body: str = "Hi"
) -> str:
    n = len(world.raw_mail.objects)
    raw = (
        f"From: {sender}\r\nTo: support@example.com\r\nSubject: {subject}\r\n"
        f"Message-ID: <m{n}@customer.test>\r\n\r\n{body}"
    ).encode()
    world.raw_mail.objects[f"inbound/{n}"] = raw
    outcome = intake.receive_mail(
        world.deps, key=f"inbound/{n}", ses_message_id=str(n), recipients=["support@example.com"]
    )
    assert outcome.ticket_id is not None
    return outcome.ticket_id


def routed_world() -> World:
    world = World()
    world.apply_config("rules", RULES)
    world.apply_config("groups", GROUPS)
    return world


# ------------------------------------------------------------------------------------- route


def test_fired_rules_change_the_ticket_each_with_its_own_audit_event() -> None:
    # Given the rules and a VIP's mail about an invoice
    world = routed_world()
    ticket_id = deliver(world, "Wrong invoice", sender="cfo@bigcorp.test")

    # When the route step runs
    outcome = workflow.route(world.deps, ticket_id)

    # Then the ticket carries both rules' decisions, and the trail says which rule did what, why
    assert outcome["fired"] == ["money", "vip"]
    thread = world.tickets.thread(ticket_id)
    assert (thread.ticket.group, thread.ticket.priority.value) == ("billing", "urgent")
    assert thread.ticket.tags == frozenset({"billing", "vip"})
    by_rule = {e.actor: e for e in thread.events if e.action == "ticket.updated"}
    assert by_rule["rule:money"].changes["group"] == (None, "billing")
    assert "text words [invoice, refund]" in by_rule["rule:money"].reason
    assert by_rule["rule:vip"].changes["priority"] == ("normal", "urgent")
    assert "requester.vip is true" in by_rule["rule:vip"].reason
    evaluated = [e for e in thread.events if e.action == workflow.EVALUATED]
    assert [e.reason for e in evaluated] == ["rules fired: money, vip"]
    # and the rule's note is an internal message by the rule
    [note] = [m for m in thread.messages if m.kind is MessageKind.INTERNAL]
    assert (note.author, note.text) == ("rule:vip", "VIP customer, answer within the hour.")


def test_route_runs_once_a_retry_changes_nothing() -> None:
    world = routed_world()
    ticket_id = deliver(world, "Refund please", sender="cfo@bigcorp.test")
    workflow.route(world.deps, ticket_id)
    before = world.tickets.thread(ticket_id)

    again = workflow.route(world.deps, ticket_id)

    after = world.tickets.thread(ticket_id)
    assert again["repeat"] is True
    assert (len(after.events), len(after.messages)) == (len(before.events), len(before.messages))


def test_no_rule_matched_falls_back_to_the_mailbox_group() -> None:
    world = routed_world()
    ticket_id = deliver(world, "Hello")
    assert workflow.route(world.deps, ticket_id)["group"] == "support"
    reasons = [e.reason for e in world.tickets.thread(ticket_id).events]
    assert "no rule matched" in reasons


def test_spam_is_closed_and_tagged_and_the_workflow_does_not_proceed() -> None:
    world = routed_world()
    ticket_id = deliver(world, "Win at the casino")
    outcome = workflow.route(world.deps, ticket_id)
    ticket = world.tickets.get(ticket_id)
    assert outcome["proceed"] is False
    assert (ticket.status, ticket.tags) == (Status.CLOSED, frozenset({"spam"}))


def test_tier_action_moves_up_the_escalation_order_and_a_canned_reply_replaces_the_ack() -> None:
    # Given an outage report to the L1 mailbox
    world = routed_world()
    ticket_id = deliver(world, "Outage since noon")

    # When routed, then acknowledged
    workflow.route(world.deps, ticket_id)
    acknowledged = workflow.acknowledge(world.deps, ticket_id)

    # Then it is in L2, and the customer got the rule's reply only
    assert world.tickets.get(ticket_id).group == "support-l2"
    assert [m["text"] for m in world.mailer.sent] == ["We know about the outage and are on it."]
    assert acknowledged["sent"] is False


def test_without_rules_config_routing_still_routes_by_mailbox() -> None:
    world = World()
    ticket_id = deliver(world, "Hello")
    assert workflow.route(world.deps, ticket_id)["group"] == "support"
    assert "no rules config applied" in [e.reason for e in world.tickets.thread(ticket_id).events]


def test_a_routing_failure_before_a_group_leaves_the_ticket_in_its_mailbox_group() -> None:
    world = World()
    ticket_id = deliver(world, "Hello")
    workflow.record_routing_failure(world.deps, ticket_id, {"Error": "Boom", "Cause": "x"})
    thread = world.tickets.thread(ticket_id)
    assert (thread.ticket.group, thread.ticket.assignee) == ("support", None)
    assert thread.events[-1].action == "routing.failed"


# ------------------------------------------------------------------------------------ assign


def test_assign_picks_an_agent_and_says_why_on_the_audit_trail() -> None:
    world = routed_world()
    ticket_id = deliver(world, "Hello")
    workflow.route(world.deps, ticket_id)

    outcome = workflow.assign(world.deps, ticket_id)

    thread = world.tickets.thread(ticket_id)
    assert outcome["assignee"] == thread.ticket.assignee == "alice@example.com"
    [assigned] = [e for e in thread.events if "assignee" in e.changes]
    assert assigned.actor == assignment.ACTOR
    assert assigned.reason.startswith("round robin in support")
    assert world.agent_loads.loads()["alice@example.com"].open == 1


def test_nobody_fits_the_ticket_stays_in_the_group_queue_with_the_reasons() -> None:
    # Given L2, where bahram speaks fa/en and eleni has the api skill but no ticket language
    world = routed_world()
    ticket_id = deliver(world, "Outage")
    workflow.route(world.deps, ticket_id)
    ticket = world.tickets.get(ticket_id)
    world.tickets.save(
        ticket,
        [ticket.change(actor="agent:x@example.com", reason="t", tags=["skill:db"], language="el")],
    )

    outcome = workflow.assign(world.deps, ticket_id)

    thread = world.tickets.thread(ticket_id)
    assert outcome["assignee"] is None
    assert (thread.ticket.group, thread.ticket.assignee) == ("support-l2", None)
    queued = thread.events[-1]
    assert queued.action == "assignment.queued"
    assert "bahram@example.com lacks db" in queued.reason
    assert "eleni@example.com lacks db" in queued.reason


def directory(text: str) -> ConfigDirectory:
    result: ConfigDirectory = kinds.validate("groups", text, "groups.yaml")
    return result


def ticket_in(
    group: str, *, number: int = 1001, tags: tuple[str, ...] = (), language: str | None = None
) -> Ticket:
    ticket, _ = open_ticket(
        number=number,
        subject="s",
        requester="c@customer.test",
        channel=Channel.EMAIL,
        actor="t",
        reason="t",
        group=group,
        tags=list(tags),
        language=language,
    )
    return ticket


MONDAY_10_UTC = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("agent", "ticket_kwargs", "loads", "excluded_because"),
    [
        ("status: away", {}, {}, "a@example.com is away"),
        ("status: offline", {}, {}, "a@example.com is offline"),
        (
            "timezone: Asia/Tokyo\n    hours: {between: ['09:00', '17:00']}",  # 19:00 in Tokyo
            {},
            {},
            "a@example.com is off work (Mon 19:00 Asia/Tokyo)",
        ),
        ("skills: [api]", {"tags": ("skill:api", "skill:db")}, {}, "a@example.com lacks db"),
        ("languages: [en]", {"language": "fa"}, {}, "a@example.com does not speak fa"),
        ("capacity: 2", {}, {"a@example.com": Load("a@example.com", 2, 5, 9)}, "at capacity (2/2)"),
    ],
)
def test_only_agents_available_and_fit_for_the_ticket_are_eligible(
    agent: str, ticket_kwargs: dict[str, object], loads: dict[str, Load], excluded_because: str
) -> None:
    d = directory(
        "groups: [{name: g}]\nagents:\n"
        f"  - email: a@example.com\n    groups: [g]\n    {agent}\n"
        "  - email: b@example.com\n    groups: [g]\n    skills: [api, db]\n"
    )
    choice = choose(
        d.groups["g"], d.members("g"), ticket_in("g", **ticket_kwargs), loads, MONDAY_10_UTC
    )  # type: ignore[arg-type]
    assert [a.email for a in choice.ranked] == ["b@example.com"]
    assert any(excluded_because in s for s in choice.skipped), choice.skipped


def test_working_hours_in_the_agents_time_zone_let_them_in() -> None:
    d = directory(
        "groups: [{name: g}]\nagents:\n"
        "  - email: a@example.com\n    groups: [g]\n    timezone: Europe/Athens\n"
        "    hours: {between: ['09:00', '17:00'], days: [mon]}\n"
    )
    choice = choose(d.groups["g"], d.members("g"), ticket_in("g"), {}, MONDAY_10_UTC)
    assert [a.email for a in choice.ranked] == ["a@example.com"]  # 12:00 in Athens


def test_least_loaded_prefers_fewest_open_then_the_longest_wait() -> None:
    d = directory(
        "groups: [{name: g, strategy: least-loaded}]\nagents:\n"
        + "".join(f"  - email: {n}@example.com\n    groups: [g]\n" for n in "abc")
    )
    loads = {
        "a@example.com": Load("a@example.com", open=3, assigned=9, last_ticket=1),
        "b@example.com": Load("b@example.com", open=1, assigned=9, last_ticket=7),
        "c@example.com": Load("c@example.com", open=1, assigned=9, last_ticket=4),
    }
    choice = choose(d.groups["g"], d.members("g"), ticket_in("g"), loads, MONDAY_10_UTC)
    assert [a.email for a in choice.ranked] == ["c@example.com", "b@example.com", "a@example.com"]


def test_queue_strategy_never_assigns() -> None:
    d = directory(
        "groups: [{name: g, strategy: queue}]\nagents:\n  - email: a@x.test\n    groups: [g]\n"
    )
    assert choose(d.groups["g"], d.members("g"), ticket_in("g"), {}, MONDAY_10_UTC).ranked == ()


def test_groups_config_refuses_unknown_groups_and_circular_escalation() -> None:
    with pytest.raises(
        config.ConfigError, match=r"groups.yaml:3: agents\[0\].groups\[0\]: no group named nope"
    ):
        directory("groups: [{name: g}]\nagents:\n  - {email: a@x.test, groups: [nope]}\n")
    with pytest.raises(config.ConfigError, match="goes round in a circle"):
        directory("groups:\n  - {name: a, escalates_to: b}\n  - {name: b, escalates_to: a}\n")
    with pytest.raises(config.ConfigError, match=r"agents\[0\].capacity: must be a whole number"):
        directory("groups: [{name: g}]\nagents:\n  - {email: a@x.test, groups: [g], capacity: 0}\n")


def test_tiers_follow_the_escalation_order() -> None:
    d = directory(
        "groups:\n  - {name: l1, escalates_to: l2}\n"
        "  - {name: l2, escalates_to: l3}\n  - {name: l3}\n"
    )
    assert list(d.tiers("l2")) == ["l1", "l2", "l3"]
    assert (d.tier_group("l1", 3), d.tier_group("l3", 1), d.tier_group("l1", 4)) == (
        "l3",
        "l1",
        None,
    )


SEVEN = "groups: [{name: g, strategy: %s}]\nagents:\n" + "".join(
    f"  - email: agent{i}@example.com\n    groups: [g]\n    capacity: 1000\n" for i in range(7)
)


def fresh_tickets(world: World, count: int) -> list[Ticket]:
    tickets = []
    for _ in range(count):
        ticket = ticket_in("g", number=world.tickets.next_number())
        world.tickets._tickets[ticket.id] = ticket  # stored as intake would have, without a mail
        tickets.append(world.tickets.get(ticket.id))
    return tickets


@pytest.mark.parametrize("strategy", ["round-robin", "least-loaded"])
def test_a_thousand_tickets_spread_evenly_over_seven_agents(strategy: str) -> None:
    # Given seven agents in one group
    world = World()
    d = directory(SEVEN % strategy)

    # When 1,000 tickets are assigned one after another
    for ticket in fresh_tickets(world, 1000):
        assignment.assign(world.tickets.get, world.agent_loads, d, ticket, MONDAY_10_UTC)

    # Then every agent has 142 or 143 (1000 = 7 x 142 + 6), and the counters agree
    spread = Counter(t.assignee for t in world.tickets._tickets.values())
    assert sorted(spread.values()) == [142] + [143] * 6
    assert {a: load.open for a, load in world.agent_loads.loads().items()} == dict(spread)


def test_concurrent_assignments_never_exceed_capacity_or_double_count() -> None:
    # Given seven agents with room for 20 tickets each, and 200 tickets assigned by 8 threads
    world = World()
    d = directory((SEVEN % "least-loaded").replace("capacity: 1000", "capacity: 20"))
    tickets = fresh_tickets(world, 200)
    errors: list[BaseException] = []
    loads = world.agent_loads
    start = threading.Barrier(8)

    def worker(share: list[Ticket]) -> None:
        start.wait()
        for ticket in share:
            # as the state machine does: a step that lost every race is retried (Conflict)
            for retry in range(5):
                try:
                    current = world.tickets.get(ticket.id)
                    assignment.assign(world.tickets.get, loads, d, current, MONDAY_10_UTC)
                    break
                except Conflict as error:
                    if retry == 4:
                        errors.append(error)
                except BaseException as error:
                    errors.append(error)
                    break

    threads = [threading.Thread(target=worker, args=(tickets[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then no error escaped, 140 tickets were assigned (7 x 20) and 60 wait in the queue,
    # every agent holds exactly its capacity and the counters equal the stored tickets
    assert errors == []
    spread = Counter(t.assignee for t in world.tickets._tickets.values())
    assert spread.pop(None) == 60
    assert sorted(spread.values()) == [20] * 7
    assert {a: load.open for a, load in loads.loads().items()} == dict(spread)


def test_a_lost_race_is_retried_on_fresh_counters() -> None:
    # Given a competitor that takes alice's turn between our read and our write
    world = World()
    d = directory(SEVEN % "round-robin")
    first, second = fresh_tickets(world, 2)
    loads = world.agent_loads
    real_loads = loads.loads
    raced = []

    def loads_then_race() -> dict[str, Load]:
        seen = dict(real_loads())
        if not raced:
            raced.append(True)
            assignment.assign(world.tickets.get, loads, d, second, MONDAY_10_UTC)
        return seen

    loads.loads = loads_then_race  # type: ignore[method-assign]

    # When we assign the first ticket on the stale counters
    _, outcome, _ = assignment.assign(world.tickets.get, loads, d, first, MONDAY_10_UTC)

    # Then our write lost, we chose again, and the two tickets went to different agents
    assert outcome.assignee is not None
    assert world.tickets.get(second.id).assignee != outcome.assignee


def test_release_frees_capacity_but_never_goes_below_zero() -> None:
    world = World()
    d = directory((SEVEN % "least-loaded").replace("capacity: 1000", "capacity: 1"))
    for ticket in fresh_tickets(world, 7):
        assignment.assign(world.tickets.get, world.agent_loads, d, ticket, MONDAY_10_UTC)
    world.agent_loads.release("agent3@example.com")
    world.agent_loads.release("agent3@example.com")
    [extra] = fresh_tickets(world, 1)
    _, outcome, _ = assignment.assign(world.tickets.get, world.agent_loads, d, extra, MONDAY_10_UTC)
    assert outcome.assignee == "agent3@example.com"
    assert world.agent_loads.loads()["agent3@example.com"].open == 1


def rerouting_world() -> tuple[World, str]:
    """A routed, assigned ticket under rules that reroute on reopen."""
    world = World()
    world.apply_config("rules", "on_reopen: reroute\n" + RULES)
    world.apply_config("groups", GROUPS)
    ticket_id = deliver(world, "Hello")
    workflow.route(world.deps, ticket_id)
    workflow.assign(world.deps, ticket_id)
    return world, ticket_id


def test_a_reopened_ticket_is_routed_again_when_the_rules_say_reroute() -> None:
    # Given a routed, assigned ticket under rules that reroute on reopen
    world, ticket_id = rerouting_world()
    assignee = world.tickets.get(ticket_id).assignee
    assert assignee is not None

    # When the rules change and the ticket, solved and reopened, is routed again
    world.apply_config(
        "rules",
        "on_reopen: reroute\nrules:\n  - name: all-to-l2\n    then: [{group: support-l2}]\n",
    )
    solve_and_reopen(world, ticket_id)
    outcome = workflow.route(world.deps, ticket_id, reopened=True)

    # Then it went through the new rules, lost its assignee (and their load) and can be reassigned
    assert (outcome["group"], outcome["assignee"], outcome["fired"]) == (
        "support-l2",
        None,
        ["all-to-l2"],
    )
    assert world.agent_loads.loads()[assignee].open == 0
    assert workflow.assign(world.deps, ticket_id)["assignee"] == "bahram@example.com"


def test_a_second_run_for_the_same_reopening_changes_nothing() -> None:
    # Given a reopened ticket already routed again under rules that reroute on reopen
    world, ticket_id = rerouting_world()
    solve_and_reopen(world, ticket_id)
    workflow.route(world.deps, ticket_id, reopened=True)
    rerouted = workflow.assign(world.deps, ticket_id)["assignee"]
    trail = len(world.tickets.thread(ticket_id).events)
    loads = world.agent_loads.loads()

    # When the Express workflow runs that reopening's execution a second time
    outcome = workflow.route(world.deps, ticket_id, reopened=True)

    # Then it is a repeat: the assignee, the loads and the trail are as they were
    assert outcome["repeat"] is True
    assert world.tickets.get(ticket_id).assignee == rerouted
    assert world.agent_loads.loads() == loads
    assert len(world.tickets.thread(ticket_id).events) == trail

    # and a later reopening is routed again
    solve_and_reopen(world, ticket_id)
    assert "repeat" not in workflow.route(world.deps, ticket_id, reopened=True)


def solve_and_reopen(world: World, ticket_id: str) -> None:
    ticket = world.tickets.get(ticket_id)
    world.tickets.save(ticket, [ticket.change(actor="agent:a", reason="done", status="solved")])
    reply = ticket.change(actor="system:intake", reason="the customer replied", status="open")
    world.tickets.save(ticket, [reply])


def test_a_reopened_ticket_keeps_its_routing_by_default() -> None:
    world = routed_world()
    ticket_id = deliver(world, "Hello")
    workflow.route(world.deps, ticket_id)
    assert workflow.route(world.deps, ticket_id, reopened=True)["repeat"] is True


def acknowledgements(world: World, ticket_id: str) -> tuple[int, int]:
    """(mails sent to the requester, acknowledgements kept in the thread)."""
    thread = world.tickets.thread(ticket_id)
    mailed = [m for m in world.mailer.sent if m["to"] == [thread.ticket.requester]]
    kept = [m for m in thread.messages if m.kind is MessageKind.SYSTEM]
    return len(mailed), len(kept)


def test_a_second_run_of_the_routing_acknowledges_once() -> None:
    # Given a ticket routed, assigned and acknowledged
    world = routed_world()
    ticket_id = deliver(world, "Hello")
    for step in (workflow.route, workflow.assign, workflow.acknowledge):
        step(world.deps, ticket_id)

    # When the Express workflow runs the same execution again
    again = [step(world.deps, ticket_id) for step in (workflow.route, workflow.assign)]
    acknowledged = workflow.acknowledge(world.deps, ticket_id)

    # Then every step is a repeat and the requester got one mail
    assert again[0]["repeat"] is True
    assert again[1]["reason"] == "already assigned"
    assert acknowledged == {"sent": False, "why": "already acknowledged"}
    assert acknowledgements(world, ticket_id) == (1, 1)


def test_a_run_that_finds_the_acknowledgement_being_sent_leaves_it_to_that_run() -> None:
    # Given another run of the ticket's routing that has claimed the acknowledgement
    world = routed_world()
    ticket_id = deliver(world, "Hello")
    workflow.route(world.deps, ticket_id)
    assert world.nonces.claim(f"ack:{ticket_id}", ttl_seconds=60, value="sending") is None

    # When this run reaches the acknowledgement, it refuses as a lost race (the workflow retries)
    with pytest.raises(Conflict):
        workflow.acknowledge(world.deps, ticket_id)

    # Then it sent nothing and left the ticket waiting for that run
    assert acknowledgements(world, ticket_id) == (0, 0)
    assert world.tickets.get(ticket_id).routing_since is not None


def test_a_run_whose_record_lost_a_race_is_recorded_by_the_retry_without_a_second_mail() -> None:
    # Given an acknowledgement sent whose record on the ticket lost a race (an agent's edit)
    world = routed_world()
    ticket_id = deliver(world, "Hello")
    workflow.route(world.deps, ticket_id)
    real_add = world.tickets.add_message

    def edited_meanwhile(*args: object, **kwargs: object) -> None:
        raise Conflict("an agent edited the ticket meanwhile")

    world.tickets.add_message = edited_meanwhile  # type: ignore[method-assign]
    with pytest.raises(Conflict):
        workflow.acknowledge(world.deps, ticket_id)
    world.tickets.add_message = real_add  # type: ignore[method-assign]
    assert acknowledgements(world, ticket_id) == (1, 0)

    # When the workflow retries the step
    retried = workflow.acknowledge(world.deps, ticket_id)

    # Then the mail sent is recorded, with its Message-ID, and none is sent again
    assert retried["sent"] is True
    assert acknowledgements(world, ticket_id) == (1, 1)
    [kept] = [m for m in world.tickets.thread(ticket_id).messages if m.kind is MessageKind.SYSTEM]
    assert kept.mail_message_id == world.mailer.sent[-1]["headers"]["Message-ID"]
    assert world.tickets.get(ticket_id).routing_since is None

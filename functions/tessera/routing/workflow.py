"""The steps of the routing state machine (infra/statemachines/routing.asl.json):
route (the rules) -> assign (within the chosen group) -> acknowledge (tessera.mail).

Each step reads the ticket, decides, and writes the ticket with its audit events in one write;
each is safe to run again (Step Functions retries a step that failed half-way).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tessera.mail.acknowledge import acknowledge
from tessera.ports import Dependencies, Thread
from tessera.routing import assignment
from tessera.routing.directory import ConfigDirectory
from tessera.routing.rules import Evaluation, Facts, Fired, RuleSet, evaluate, facts_for
from tessera.sla import clocks as sla_clocks
from tessera.tickets.model import Event, Message, MessageKind, Status, Ticket, utcnow
from tessera.workspace import notifications, settings

ROUTING = "system:routing"
EVALUATED = "routing.evaluated"  # the audit event that marks a ticket's rules as applied
SPAM_TAG, DISCARDED_TAG = "spam", "discarded"

__all__ = ["ROUTING", "acknowledge", "assign", "record_routing_failure", "route"]


def route(deps: Dependencies, ticket_id: str, *, reopened: bool = False) -> dict[str, Any]:
    """Apply the rules to the ticket: each rule that fires changes it with an audit event whose
    actor is ``rule:<name>`` and whose reason says why it matched. Without a group from the
    rules, the ticket goes to its mailbox's group. ``proceed`` is False for spam and discarded
    tickets (the workflow then neither assigns nor acknowledges).

    Runs once per ticket (a retry finds the ``routing.evaluated`` event and changes nothing);
    with ``reopened`` it runs again if the rules say ``on_reopen: reroute``.
    """
    thread = deps.tickets.thread(ticket_id)
    ticket = thread.ticket
    rule_set: RuleSet | None = deps.config().get("rules")
    already = [e for e in thread.events if e.action == EVALUATED]
    if already and not (reopened and rule_set is not None and rule_set.reroute_on_reopen):
        return _outcome(ticket, [], repeat=True)
    if reopened and already and ticket.status in (Status.SOLVED, Status.CLOSED):
        return _outcome(ticket, [], repeat=True)
    if reopened and already and already[-1].at >= _last_reopening(thread):
        return _outcome(ticket, [], repeat=True)  # a second run for the same reopening

    evaluation = evaluate(rule_set, facts_of(thread, rule_set)) if rule_set else Evaluation()
    fallback_group, fallback_reason = _mailbox_group(deps, ticket)
    events: list[Event] = []
    previous = ticket.assignee if reopened else None
    if previous is not None:
        events.append(ticket.change(actor=ROUTING, reason="reopened: routed again", assignee=None))
    for fired in evaluation.fired:
        event = _apply(ticket, fired, lambda: deps.config().get("groups"), fallback_group)
        if event.changes:
            events.append(event)
    if ticket.group is None:
        events.append(ticket.change(actor=ROUTING, reason=fallback_reason, group=fallback_group))
    names = ", ".join(f.rule.name for f in evaluation.fired)
    summary = f"rules fired: {names}" if names else "no rule matched"
    if evaluation.stopped_by:
        summary += f" (stopped after {evaluation.stopped_by})"
    if rule_set is None:
        summary = "no rules config applied"
    events.append(Event(ticket_id=ticket.id, actor=ROUTING, action=EVALUATED, reason=summary))
    # Group, priority and tags decide the SLA policy: recompute the clocks with them.
    events += sla_clocks.refresh(deps, ticket, trigger="changed", now=utcnow())
    proceed = not (evaluation.spam or evaluation.discard)
    if not proceed:
        ticket.routing_since = None  # routing ends here: nothing to assign or acknowledge
    deps.tickets.save(ticket, events)
    if previous is not None:  # only once the save won: a run that lost the race released nothing
        deps.agent_loads().release(previous)

    for rule_name, text in evaluation.notes:
        note = Message(
            ticket_id=ticket.id, kind=MessageKind.INTERNAL, author=f"rule:{rule_name}", text=text
        )
        added = Event(
            ticket_id=ticket.id,
            actor=f"rule:{rule_name}",
            action="message.added",
            reason="internal note from the rule",
        )
        deps.tickets.add_message(ticket, note, [added])
    if evaluation.reply is not None and proceed:
        _auto_reply(deps, ticket, *evaluation.reply)
    return _outcome(ticket, evaluation.fired, proceed=proceed)


def _last_reopening(thread: Thread) -> datetime:
    """When the ticket last went from solved back to open (its trail's last such change)."""
    reopenings = [
        e.at
        for e in thread.events
        if e.changes.get("status", (None, None))[0] == Status.SOLVED.value
        and e.changes["status"][1] not in (Status.SOLVED.value, Status.CLOSED.value)
    ]
    return max(reopenings, default=datetime.min.replace(tzinfo=UTC))


def facts_of(thread: Thread, rule_set: RuleSet | None) -> Facts:
    """The ticket as it arrived, as the rules see it (time: when it was created)."""
    ticket = thread.ticket
    first = next((m for m in thread.messages if m.kind is MessageKind.PUBLIC), None)
    return facts_for(
        rule_set,
        mailbox=ticket.mailbox,
        channel=ticket.channel.value,
        sender=ticket.requester,
        subject=ticket.subject,
        body=first.text if first else "",
        language=ticket.language,
        priority=ticket.priority.value,
        tags=ticket.tags,
        custom_fields=ticket.custom_fields,
        now=ticket.created_at,
    )


def _apply(
    ticket: Ticket,
    fired: Fired,
    directory: Callable[[], ConfigDirectory | None],
    fallback_group: str,
) -> Event:
    """One fired rule's actions as one change of the ticket, attributed to the rule. The
    directory is read only for a ``tier`` action."""
    values: dict[str, Any] = {}
    tags = set(ticket.tags)
    for action in fired.rule.then:
        kind, value = action.kind, action.value
        if kind in ("group", "assignee", "priority", "language"):
            values[kind] = value
        elif kind == "tags":
            tags |= value
        elif kind == "remove_tags":
            tags -= value
        elif kind == "custom_fields":
            values["custom_fields"] = {
                **ticket.custom_fields,
                **values.get("custom_fields", {}),
                **value,
            }
        elif kind == "tier":
            base = values.get("group") or ticket.group or fallback_group
            groups = directory()
            target = groups.tier_group(base, value) if groups else None
            if target is not None:
                values["group"] = target
        elif kind in ("spam", "discard"):
            values["status"] = Status.CLOSED
            tags.add(SPAM_TAG if kind == "spam" else DISCARDED_TAG)
    if tags != set(ticket.tags):
        values["tags"] = sorted(tags)
    done = ", ".join(a.describe() for a in fired.rule.then)
    return ticket.change(
        actor=fired.actor, reason=f"rule {fired.rule.name} matched: {fired.why} -> {done}", **values
    )


def _mailbox_group(deps: Dependencies, ticket: Ticket) -> tuple[str, str]:
    """The group of the mailbox the ticket came in on (mailboxes config); for a mailbox not
    configured, the group named after it (``help@`` -> ``help``)."""
    mailboxes = deps.config().get("mailboxes")
    mailbox = mailboxes.get(ticket.mailbox) if mailboxes else None
    if mailbox is not None:
        return mailbox.group, f"group of mailbox {mailbox.address} (mailboxes config)"
    group = ticket.mailbox.split("@", 1)[0] if ticket.mailbox else "support"
    return group, f"mailbox {ticket.mailbox or '(none)'} is not configured: default group"


def _auto_reply(deps: Dependencies, ticket: Ticket, rule_name: str, text: str) -> None:
    """The rule's canned reply, instead of the standard acknowledgement (which then sees a
    system message and stays silent)."""
    sent_id = deps.mailer().send(
        sender=ticket.mailbox or deps.from_address(),
        to=[ticket.requester],
        subject=f"[#{ticket.number}] Re: {ticket.subject}",
        text=text,
        headers={"Auto-Submitted": "auto-replied", "X-Tessera-Ticket": str(ticket.number)},
    )
    message = Message(ticket_id=ticket.id, kind=MessageKind.SYSTEM, author="tessera", text=text)
    event = Event(
        ticket_id=ticket.id,
        actor=f"rule:{rule_name}",
        action="message.added",
        reason=f"canned reply sent to {ticket.requester} ({sent_id})",
    )
    deps.tickets.add_message(ticket, message, [event])


def _outcome(
    ticket: Ticket, fired: list[Fired], *, proceed: bool | None = None, repeat: bool = False
) -> dict[str, Any]:
    if proceed is None:
        proceed = ticket.status is not Status.CLOSED
    return {
        "group": ticket.group,
        "assignee": ticket.assignee,
        "priority": ticket.priority.value,
        "fired": [f.rule.name for f in fired],
        "proceed": proceed,
        **({"repeat": True} if repeat else {}),
    }


def assign(deps: Dependencies, ticket_id: str) -> dict[str, Any]:
    """Assign the ticket within its group (tessera.routing.assignment); unassigned in the
    group's queue, with the reason on the audit trail, when nobody fits."""
    ticket = deps.tickets.get(ticket_id)
    if ticket.assignee is not None:
        return {"assignee": ticket.assignee, "reason": "already assigned"}
    if ticket.status in (Status.SOLVED, Status.CLOSED):
        return {"assignee": None, "reason": f"ticket is {ticket.status}"}
    # The groups config, with each agent's own status (PATCH /api/me) over the config's.
    directory = settings.directory_now(deps)
    if directory is None:
        reason = "no groups config applied: stays in the queue"
        queued = Event(
            ticket_id=ticket.id, actor=assignment.ACTOR, action="assignment.queued", reason=reason
        )
        deps.tickets.save(ticket, [queued])
        return {"assignee": None, "reason": reason}
    ticket, outcome, queued_event = assignment.assign(
        deps.tickets.get, deps.agent_loads(), directory, ticket, utcnow()
    )
    if queued_event is not None:
        deps.tickets.save(ticket, [queued_event])
    elif outcome.assignee is not None and outcome.reason != assignment.ASSIGNED_MEANWHILE:
        notifications.assigned(deps, ticket, by=None)
    return {"assignee": outcome.assignee, "reason": outcome.reason}


def record_routing_failure(deps: Dependencies, ticket_id: str, error: dict[str, Any]) -> None:
    """Put a failed routing step on the ticket's audit trail. The ticket stays visible: in its
    group's queue, or, if routing failed before choosing one, in its mailbox's group."""
    ticket = deps.tickets.get(ticket_id)
    events = []
    if ticket.group is None:
        group, reason = _mailbox_group(deps, ticket)
        events.append(ticket.change(actor=ROUTING, reason=f"routing failed; {reason}", group=group))
    events.append(
        Event(
            ticket_id=ticket.id,
            actor=ROUTING,
            action="routing.failed",
            reason=f"{error.get('Error', 'error')}: {str(error.get('Cause', ''))[:500]}",
        )
    )
    ticket.routing_since = None  # an outcome: the failure is on the trail, the ticket in a queue
    deps.tickets.save(ticket, events)

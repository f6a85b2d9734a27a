"""The steps of the escalation state machine (infra/statemachines/escalation.asl.json).

One execution per due timer (``<ticket id>-<due_what>``). :func:`begin` re-reads the ticket and
claims the timer (moves the ticket's due timer on, so the next sweep does not find it again);
then, for a warning, :func:`warn`; for a breach, :func:`escalate` and :func:`notify`; for an
automation, :func:`automate`. Every step re-reads the ticket first and stops (``proceed: false``,
on the audit trail) when the clock it serves is no longer running: a reply that arrived in the
meantime cancels the rest. :func:`record_failure` is the Catch: the failure goes on the audit
trail and the timer is moved on so it cannot stick.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tessera.errors import ValidationFailed
from tessera.mail import outbound, templates
from tessera.ports import Dependencies
from tessera.routing.directory import ConfigDirectory
from tessera.sla import clocks
from tessera.sla.clocks import SYSTEM, SlaState
from tessera.sla.policies import TARGETS, SlaConfig
from tessera.tickets.model import Event, Priority, Status, Ticket

_PRIORITIES = [p.value for p in Priority]


def parse_what(what: str) -> tuple[str, int, int] | tuple[str, int]:
    """``first_response-1-2`` -> ("first_response", 1, 2); ``auto-csat_survey-3`` ->
    ("csat_survey", 3)."""
    parts = what.split("-")
    try:
        if parts[0] == "auto" and len(parts) == 3:
            return parts[1], int(parts[2])
        if len(parts) == 3 and parts[0] in TARGETS:
            return parts[0], int(parts[1]), int(parts[2])
    except ValueError:
        pass
    raise ValidationFailed("what", f"{what!r} is not a timer name")


def _config(deps: Dependencies) -> SlaConfig:
    config = clocks.applied(deps)
    if config is None:
        raise ValidationFailed("sla", "no SLA configuration is applied")
    return config


def _event(ticket: Ticket, actor: str, action: str, reason: str, now: datetime) -> Event:
    return Event(ticket_id=ticket.id, actor=actor, action=action, reason=reason, at=now)


def _actor(ticket: Ticket) -> str:
    policy = SlaState.load(ticket.sla).policy
    return f"policy:{policy}" if policy else SYSTEM


def _running(ticket: Ticket, target: str, cycle: int) -> bool:
    clock = SlaState.load(ticket.sla).clocks.get(target)
    return clock is not None and clock.cycle == cycle and clock.running_since is not None


def _cancelled(
    deps: Dependencies, ticket: Ticket, what: str, step: str, now: datetime
) -> dict[str, Any]:
    reason = f"{what}: {step} cancelled, the clock is no longer running (replied, paused or solved)"
    deps.tickets.save(ticket, [_event(ticket, _actor(ticket), "escalation.cancelled", reason, now)])
    return {"proceed": False, "why": reason}


# -------------------------------------------------------------------------------- the steps


def begin(deps: Dependencies, ticket_id: str, what: str, now: datetime) -> dict[str, Any]:
    """Claim the due timer ``what``: returns the action (``warn``, ``escalate``, ``automate``)
    or ``none`` when the ticket has moved on since the sweep saw it."""
    ticket = deps.tickets.get(ticket_id)
    if ticket.due_what != what or ticket.due_at is None or ticket.due_at > now:
        return {"action": "none", "why": f"the ticket's next timer is {ticket.due_what}"}
    config = _config(deps)
    state = SlaState.load(ticket.sla)
    parsed = parse_what(what)
    if len(parsed) == 2:
        kind, seq = parsed
        state.automations = [a for a in state.automations if a.seq != seq]
        clocks.store(ticket, state, config)
        deps.tickets.save(ticket, [_event(ticket, SYSTEM, "automation.due", f"{kind} is due", now)])
        return {"action": "automate", "kind": kind}
    target, cycle, level = parsed
    clock = state.clocks[target]
    clock.next_level = level + 1
    clocks.store(ticket, state, config)
    used = clock.used_at(now, config)
    if level == 0:
        action, verb = "warn", "sla.warning"
        reason = f"{target} at {used} of {clock.goal}: warning the assignee"
    else:
        action, verb = "escalate", "sla.escalating"
        reason = f"{target} breached ({used} of {clock.goal} used): escalation level {level}"
    deps.tickets.save(ticket, [_event(ticket, _actor(ticket), verb, reason, now)])
    return {"action": action, "target": target, "cycle": cycle, "level": level}


def warn(
    deps: Dependencies, ticket_id: str, target: str, cycle: int, now: datetime
) -> dict[str, Any]:
    """Mail the assignee (the group lead when unassigned) that ``target`` is about to breach."""
    ticket = deps.tickets.get(ticket_id)
    if not _running(ticket, target, cycle):
        return _cancelled(deps, ticket, f"{target}-{cycle}", "warning", now)
    config = _config(deps)
    contact = config.escalation.contacts.get(ticket.group or "")
    to = ticket.assignee or (contact.lead if contact else None)
    if to is None:
        reason = f"{target} warning: nobody to warn (unassigned, no lead for {ticket.group})"
    else:
        clock = SlaState.load(ticket.sla).clocks[target]
        due = clock.level_due(config)
        _mail(
            deps,
            ticket,
            [to],
            f"[#{ticket.number}] SLA warning: {target.replace('_', ' ')} due soon",
            f"Ticket #{ticket.number} ({ticket.subject}) will breach its {target} target"
            f" at {due[1].isoformat() if due else 'soon'}.\n",
        )
        reason = f"{target} warning mailed to {to}"
    deps.tickets.save(ticket, [_event(ticket, _actor(ticket), "sla.warned", reason, now)])
    return {"proceed": True}


def escalate(
    deps: Dependencies, ticket_id: str, target: str, cycle: int, level: int, now: datetime
) -> dict[str, Any]:
    """Move the ticket one tier up the ladder (to the next tier's group, unassigned) and raise
    its priority one step; the clocks are recomputed for the new priority and group."""
    ticket = deps.tickets.get(ticket_id)
    if not _running(ticket, target, cycle):
        return _cancelled(deps, ticket, f"{target}-{cycle}", "escalation", now)
    config = _config(deps)
    changes: dict[str, Any] = {}
    previous_assignee = ticket.assignee
    tier = _next_tier(deps, config, ticket.group)
    if tier is not None:
        changes.update(group=tier, assignee=None)
    index = _PRIORITIES.index(ticket.priority.value)
    if config.escalation.raise_priority and index + 1 < len(_PRIORITIES):
        changes["priority"] = _PRIORITIES[index + 1]
    why = f"{target} breached (level {level}): " + (
        f"up the ladder to {tier}" if tier else "top of the ladder"
    )
    events = [ticket.change(actor=_actor(ticket), reason=why, **changes)] if changes else []
    events += clocks.refresh(deps, ticket, trigger="changed", now=now)
    deps.tickets.save(ticket, events)
    if previous_assignee is not None and ticket.assignee is None:
        deps.agent_loads().release(previous_assignee)  # the ticket left their queue
    return {"proceed": True, "group": ticket.group, "priority": ticket.priority.value}


def _next_tier(deps: Dependencies, config: SlaConfig, group: str | None) -> str | None:
    """The group one tier up: the groups directory's ``escalates_to`` for a group it knows
    (None at the top of its chain), else the SLA config's own ladder."""
    directory: ConfigDirectory | None = deps.config().get("groups")
    known = directory.group(group) if directory is not None and group is not None else None
    if known is not None:
        return known.escalates_to
    return config.escalation.next_tier(group)


def notify(
    deps: Dependencies, ticket_id: str, target: str, cycle: int, level: int, now: datetime
) -> dict[str, Any]:
    """Mail the group's lead and manager and text the on-call phones (SNS)."""
    ticket = deps.tickets.get(ticket_id)
    if not _running(ticket, target, cycle):
        return _cancelled(deps, ticket, f"{target}-{cycle}", "notification", now)
    config = _config(deps)
    contact = config.escalation.contacts.get(ticket.group or "")
    recipients = [a for a in (contact.lead, contact.manager) if a] if contact else []
    summary = (
        f"#{ticket.number} breached {target.replace('_', ' ')} (level {level}); now in "
        f"{ticket.group or 'no group'} at {ticket.priority.value} priority: {ticket.subject}"
    )
    done = []
    if recipients:
        _mail(
            deps, ticket, recipients, f"[#{ticket.number}] SLA breached: {target}", summary + "\n"
        )
        done.append(f"mailed {', '.join(recipients)}")
    if contact is not None and contact.sms:
        message_id = deps.sms().send(
            text=f"Tessera: {summary}"[:160],
            attributes={"group": ticket.group or "-", "level": str(level)},
        )
        done.append(f"SMS {message_id}")
    reason = f"{target} breach: " + ("; ".join(done) or f"no contacts for {ticket.group}")
    deps.tickets.save(ticket, [_event(ticket, _actor(ticket), "sla.notified", reason, now)])
    return {"proceed": True, "notified": done}


def automate(deps: Dependencies, ticket_id: str, kind: str, now: datetime) -> dict[str, Any]:
    """Run one time-based automation, if the ticket is still in the status it was set for."""
    ticket = deps.tickets.get(ticket_id)
    config = _config(deps)
    rules = config.automations
    events: list[Event] = []
    done = ""
    if kind == "pending_reminder" and ticket.status is Status.PENDING:
        _mail(
            deps,
            ticket,
            [ticket.requester],
            f"[#{ticket.number}] Re: {ticket.subject}",
            "Hello,\n\nwe are waiting for your reply on this request. Reply to this mail to "
            "continue; otherwise it will be closed.\n\n-- Support\n",
        )
        done = f"reminded {ticket.requester}"
        if rules.pending_close_after is not None:
            state = SlaState.load(ticket.sla)
            state.seq += 1
            after = rules.pending_close_after - (
                rules.pending_reminder_after or rules.pending_close_after
            )
            state.automations.append(clocks.Scheduled("pending_close", now + after, state.seq))
            clocks.store(ticket, state, config)
    elif kind == "pending_close" and ticket.status is Status.PENDING:
        _mail(
            deps,
            ticket,
            [ticket.requester],
            f"[#{ticket.number}] Re: {ticket.subject}",
            "Hello,\n\nwe have not heard back, so we closed this request. Reply to this mail if "
            "you still need help.\n\n-- Support\n",
        )
        events.append(
            ticket.change(
                actor=SYSTEM,
                reason="pending without a reply: closed by automation (notice mailed)",
                status=rules.pending_close_to,
            )
        )
        done = f"closed as {rules.pending_close_to.value}, notice to {ticket.requester}"
    elif kind == "solved_close" and ticket.status is Status.SOLVED:
        events.append(
            ticket.change(actor=SYSTEM, reason="solved long enough: closed", status=Status.CLOSED)
        )
        done = "closed"
    elif kind == "csat_survey" and ticket.status in {Status.SOLVED, Status.CLOSED}:
        # In the customer's language, with the signed link to the ticket's page (its rating);
        # a reply with the score alone is recorded by intake without reopening the ticket.
        _, texts = templates.pick(ticket.language)
        _, brand = outbound.mailbox_identity(deps, ticket)
        values = {
            "number": ticket.number,
            "subject": ticket.subject,
            "brand": brand or ticket.mailbox or deps.from_address(),
            "link": outbound.portal_link(deps, ticket, ticket.requester),
        }
        _mail(
            deps,
            ticket,
            [ticket.requester],
            texts.survey_subject.format(**values),
            texts.survey_body.format(**values),
        )
        done = f"survey mailed to {ticket.requester}"
    events += clocks.refresh(deps, ticket, trigger="changed", now=now)
    reason = f"{kind}: {done}" if done else f"{kind}: skipped, the ticket is {ticket.status.value}"
    events.append(
        _event(ticket, SYSTEM, "automation.ran" if done else "automation.skipped", reason, now)
    )
    deps.tickets.save(ticket, events)
    return {"done": bool(done)}


def run_automation(deps: Dependencies, ticket_id: str, what: str, now: datetime) -> dict[str, Any]:
    """An automation timer in one step, without a workflow (the sweep invokes it
    asynchronously): claim the timer, then run the automation. A repeat finds the timer claimed
    and does nothing; a failure after the claim goes on the trail (as the workflow's Catch
    would) and is raised, so the invocation counts as failed."""
    if len(parse_what(what)) != 2:
        raise ValidationFailed("what", f"{what!r} is not an automation timer")
    begun = begin(deps, ticket_id, what, now)
    if begun["action"] != "automate":
        return begun
    try:
        return {"action": "automate", **automate(deps, ticket_id, begun["kind"], now)}
    except Exception as error:
        failure = {"Error": type(error).__name__, "Cause": str(error)}
        record_failure(deps, ticket_id, what, failure, now)
        raise


def record_failure(
    deps: Dependencies, ticket_id: str, what: str, error: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The Catch: put the failure on the audit trail, and move a timer still pointing at
    ``what`` on (so the sweep does not find it due forever under a name already used)."""
    ticket = deps.tickets.get(ticket_id)
    if ticket.due_what == what:
        config = _config(deps)
        state = SlaState.load(ticket.sla)
        parsed = parse_what(what)
        if len(parsed) == 2:
            state.automations = [a for a in state.automations if a.seq != parsed[1]]
        elif parsed[0] in state.clocks:
            state.clocks[parsed[0]].next_level = parsed[2] + 1
        clocks.store(ticket, state, config)
    cause = str(error.get("Cause", ""))[:500]
    reason = f"{what}: {error.get('Error', 'error')}: {cause}"
    deps.tickets.save(ticket, [_event(ticket, SYSTEM, "escalation.failed", reason, now)])
    return {"recorded": True}


def _mail(deps: Dependencies, ticket: Ticket, to: list[str], subject: str, text: str) -> str:
    return deps.mailer().send(
        sender=ticket.mailbox or deps.from_address(),
        to=to,
        subject=subject,
        text=text,
        headers={"Auto-Submitted": "auto-generated", "X-Tessera-Ticket": str(ticket.number)},
    )

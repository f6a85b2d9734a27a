"""What a ticket costs in AWS, counted on the local stack: ``python -m bench.cost``.

It starts a local stack of its own (fresh, no demo mail, the schedules 60 times faster) and:

1. **idle**: lets the schedules fire on an empty table for ``--idle-seconds`` and prices one
   firing of each (the sweep, the reconciler) times the firings a month has at the template's
   rates;
2. **tickets**: drives ``--tickets`` full mail lifecycles (mail in -> routed -> acknowledged ->
   agent reply -> customer reply by mail -> solved -> survey mailed -> closed),
   ``--breaches`` tickets that breach their first-response target and escalate up a tier, and
   ``--portal`` tickets a customer opens in the portal (magic link, session, ticket, an agent's
   answer that solves it, the customer's rating, survey, closed);
3. **console**: an agent's polling (the intervals of portal_static/console/) for a few rounds.

Every figure comes from the stack's own records: ``GET /_local/usage`` (every AWS call by
function, service and operation; DynamoDB capacity units from item sizes; S3 and SES bytes;
Lambda invocations with their in-process duration standing in for the billed duration, and
the template's memory; the bytes the functions logged plus Lambda's own START/END/REPORT lines)
and the Step Functions execution histories (state transitions). ``bench/prices.json`` turns them
into dollars. The schedules' share of the ticket phase is taken out (it is the idle cost), so
the per-ticket figure is what tickets add.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import smtplib
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from tessera_local.clock import schedules
from tessera_local.template import ROOT, Template
from tests.localstack import RunningStack, customer_session, start_stack, stop_stack, wait_for

PRICES = Path(__file__).with_name("prices.json")
SUPPORT = "support@example.com"
AGENT = "alice@example.com"
MONTH_SECONDS = 30 * 86400
CLOCK_SPEED = 60  # the every-minute sweep fires every second
# The console's polling (portal_static/console/): the queue asks what changed, the header asks
# for notifications, an open ticket beats its presence.
POLLS_PER_HOUR = {"queue changes (15 s)": 240, "notifications (30 s)": 120, "presence (10 s)": 360}

Usage = dict[str, Any]


# ------------------------------------------------------------------ the stack
def bench_sla() -> str:
    """infra/config/sla.yaml with second-scale times: VIP tickets (bigcorp.test) breach their
    first-response target after 5 s, solved tickets close after 3 s."""
    text = (ROOT / "infra" / "config" / "sla.yaml").read_text(encoding="utf-8")
    vip, rest = text.split("  - name: standard", 1)
    vip = vip.replace("first_response: 1h", "first_response: 5s").replace(
        "calendar: around-the-clock\n", "calendar: around-the-clock\n"
    )
    text = vip + "  - name: standard" + rest
    text = text.replace("solved_close_after: 4d", "solved_close_after: 3s")
    return text.replace("warn_at: 75%", "warn_at: 60%")


@contextmanager
def bench_stack() -> Iterator[RunningStack]:
    previous = os.environ.get("TESSERA_CLOCK_SPEED")
    os.environ["TESSERA_CLOCK_SPEED"] = str(CLOCK_SPEED)
    with tempfile.TemporaryDirectory(prefix="tessera-cost-") as directory:
        stack = start_stack(Path(directory), fresh=True, demo=False, timeout=180)
        try:
            for name, value in stack.environment().items():
                os.environ[name] = value
            from tessera.adapters.dynamodb.config_store import DynamoConfigStore

            DynamoConfigStore(os.environ["TABLE_NAME"]).apply(
                "sla", bench_sla(), actor="bench", expected_version=None
            )
            yield stack
        except BaseException:
            sys.stderr.write("".join(stack.output[-80:]))  # what the stack said, to see why
            raise
        finally:
            stop_stack(stack)
            if previous is None:
                os.environ.pop("TESSERA_CLOCK_SPEED", None)
            else:
                os.environ["TESSERA_CLOCK_SPEED"] = previous


def usage(stack: RunningStack, *, reset: bool = False) -> Usage:
    status, body = stack.request("GET", "/_local/usage" + ("?reset=1" if reset else ""))
    assert status == 200, body
    return dict(body)


def outbox(stack: RunningStack) -> list[dict[str, Any]]:
    _status, mails = stack.request("GET", "/_local/outbox")
    return list(mails)


def tickets() -> Any:
    from tessera.adapters.dynamodb.tickets import DynamoTicketRepository

    return DynamoTicketRepository(os.environ["TABLE_NAME"])


def send_mail(stack: RunningStack, sender: str, subject: str, text: str, **headers: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, SUPPORT, subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=30) as smtp:
        smtp.send_message(message)


def waited(what: str, predicate: Callable[[], Any], timeout: float = 90) -> Any:
    value = wait_for(predicate, timeout=timeout, interval=0.5)
    if not value:
        raise SystemExit(f"bench.cost: timed out waiting for {what}")
    return value


# ------------------------------------------------------------------ the lifecycles
BODY = (
    "Hello,\n\nsince this morning the export page shows an empty list although we have about "
    "two hundred orders this month. We tried two browsers. Could you have a look?\n\n"
    "Thanks,\n{name}\n"
)


def mail_in(stack: RunningStack, senders: list[str], prefix: str) -> dict[str, Any]:
    """Each sender mails in, one after the other (so no invocation's time includes waiting for
    another's); each waits for its acknowledgement. The tickets by sender."""
    repository = tickets()
    opened = {}
    for index, sender in enumerate(senders):
        send_mail(stack, sender, f"{prefix} {index}: export is empty", BODY.format(name=sender))

        def acknowledged(sender: str = sender) -> int | None:
            for mail in outbox(stack):
                match = re.search(r"\[#(\d+)\]", mail["subject"])
                if match and mail["to"] == [sender]:
                    return int(match.group(1))
            return None

        opened[sender] = repository.get_by_number(waited("an acknowledgement", acknowledged))
    return opened


def agent_answers(stack: RunningStack, token: str, ticket_id: str, text: str, status: str) -> None:
    """What an agent does in the console: open the ticket, answer it."""
    code, _ = stack.request("GET", f"/api/tickets/{ticket_id}", token=token)
    assert code == 200, code
    code, body = stack.request(
        "POST",
        f"/api/tickets/{ticket_id}/replies",
        {"text": text, "status": status},
        token=token,
    )
    assert code == 201, body


def status_of(ticket_id: str) -> str:
    return str(tickets().get(ticket_id).status.value)


def until_closed(ticket_ids: list[str]) -> None:
    waited(
        "tickets closed",
        lambda: all(status_of(t) == "closed" for t in ticket_ids),
        timeout=120 + 15 * len(ticket_ids),  # the sweep closes them one by one
    )


def mail_lifecycles(stack: RunningStack, token: str, count: int) -> None:
    senders = [f"customer{i}@customer.test" for i in range(count)]
    opened = mail_in(stack, senders, "Order export")
    for ticket in opened.values():
        agent_answers(stack, token, ticket.id, "Could you send the order numbers?", "pending")
    for sender, ticket in opened.items():
        before = len(tickets().thread(ticket.id).messages)
        send_mail(
            stack,
            sender,
            f"Re: [#{ticket.number}] Order export: export is empty",
            "They are 1001 to 1210.\n",
        )
        waited(
            "a customer reply",
            lambda ticket=ticket, before=before: len(tickets().thread(ticket.id).messages) > before,
        )
    for ticket in opened.values():
        agent_answers(stack, token, ticket.id, "Fixed: the export lists them again.", "solved")
    until_closed([t.id for t in opened.values()])


def breach_lifecycles(stack: RunningStack, count: int) -> None:
    senders = [f"buyer{i}@bigcorp.test" for i in range(count)]  # VIP: a 5 s first response
    opened = mail_in(stack, senders, "Urgent")
    waited(
        "escalations",
        lambda: all(tickets().get(t.id).group == "support-l2" for t in opened.values()),
        timeout=120,
    )


def portal_lifecycles(stack: RunningStack, token: str, count: int) -> None:
    created = []
    for index in range(count):
        email = f"portal{index}@customer.test"
        session = customer_session(stack, email)
        code, ticket = stack.request(
            "POST",
            "/api/tickets",
            {"subject": f"Portal question {index}", "body": BODY.format(name=email)},
            token=session,
        )
        assert code == 201, ticket
        created.append((session, ticket["id"]))
    waited(
        "portal tickets routed",
        lambda: all(tickets().get(t).assignee for _s, t in created),
    )
    for session, ticket_id in created:
        agent_answers(stack, token, ticket_id, "Here is how: Settings, Export.", "solved")
        code, body = stack.request(
            "POST", f"/api/tickets/{ticket_id}/rating", {"score": 5}, token=session
        )
        assert code == 201, body
    until_closed([t for _s, t in created])


def console_polls(
    stack: RunningStack, token: str, ticket_id: str, rounds: int, idle: Usage, per: dict[str, Usage]
) -> dict[str, Usage]:
    """The usage of one poll of each kind (measured over ``rounds`` polls, less the schedules'
    share)."""
    since = datetime.now(UTC).isoformat()
    polls: dict[str, tuple[str, str, Any]] = {
        "queue changes (15 s)": ("GET", f"/api/tickets/changes?since={since}", None),
        "notifications (30 s)": ("GET", "/api/me/notifications?limit=20", None),
        "presence (10 s)": ("PUT", f"/api/tickets/{ticket_id}/presence", {"activity": "viewing"}),
    }
    measured = {}
    for name, (method, path, body) in polls.items():
        usage(stack, reset=True)
        for _ in range(rounds):
            code, answer = stack.request(method, path, body, token=token)
            assert code == 200, (name, answer)
        measured[name] = scaled(net(usage(stack), idle, per), 1 / rounds)
    return measured


# ------------------------------------------------------------------ counting
def executions(stack: RunningStack, since: float) -> list[dict[str, Any]]:
    """Every execution started since ``since``: its machine, transitions and duration."""
    sfn = stack.client("stepfunctions")
    found = []
    for machine in sfn.list_state_machines()["stateMachines"]:
        pages = sfn.get_paginator("list_executions").paginate(
            stateMachineArn=machine["stateMachineArn"]
        )
        for page in pages:
            for execution in page["executions"]:
                if execution["startDate"].timestamp() < since:
                    continue
                events = sfn.get_execution_history(
                    executionArn=execution["executionArn"], maxResults=1000
                )["events"]
                stop = execution.get("stopDate") or datetime.now(UTC)
                found.append(
                    {
                        "machine": machine["name"],
                        "status": execution["status"],
                        "transitions": sum(e["type"].endswith("StateEntered") for e in events),
                        "seconds": (stop - execution["startDate"]).total_seconds(),
                    }
                )
    return found


def firings(usage: Usage, scheduled: dict[str, int]) -> dict[str, float]:
    return {f: usage["invocations"].get(f, {}).get("count", 0) for f in scheduled}


def net(raw: Usage, idle: Usage, idle_per_firing: dict[str, Usage]) -> Usage:
    """``raw`` less what the schedules' firings would have cost on an empty table: their
    calls, invocations and logs per firing, and the capacity units of the idle window per
    second."""
    result = json.loads(json.dumps(raw))
    for function, per in idle_per_firing.items():
        fired = raw["invocations"].get(function, {}).get("count", 0)
        subtract(result, scaled(per, fired))
    for name, value in idle["amounts"].items():
        idle_share = value * raw["seconds"] / idle["seconds"]
        result["amounts"][name] = max(0.0, result["amounts"].get(name, 0) - idle_share)
    return result


def scaled(usage: Usage, factor: float) -> Usage:
    return {
        "calls": [dict(c, count=c["count"] * factor) for c in usage["calls"]],
        "amounts": {k: v * factor for k, v in usage["amounts"].items()},
        "invocations": {
            f: {k: (v if k == "memory_mb" else v * factor) for k, v in e.items()}
            for f, e in usage["invocations"].items()
        },
        "log_bytes": {k: v * factor for k, v in usage["log_bytes"].items()},
        "executions": [dict(e) for e in usage.get("executions", [])],
        "execution_factor": usage.get("execution_factor", 1.0) * factor,
        "schedule_firings": usage.get("schedule_firings", 0) * factor,
    }


def subtract(total: Usage, part: Usage) -> None:
    calls = {(c["function"], c["service"], c["operation"]): c for c in total["calls"]}
    for call in part["calls"]:
        key = (call["function"], call["service"], call["operation"])
        if key in calls:
            calls[key]["count"] = max(0.0, calls[key]["count"] - call["count"])
    for name, value in part["amounts"].items():
        total["amounts"][name] = max(0.0, total["amounts"].get(name, 0) - value)
    for function, entry in part["invocations"].items():
        mine = total["invocations"].get(function)
        if mine:
            for key in ("count", "billed_ms", "cpu_ms", "api_requests"):
                mine[key] = max(0.0, mine[key] - entry.get(key, 0))
    for function, value in part["log_bytes"].items():
        total["log_bytes"][function] = max(0.0, total["log_bytes"].get(function, 0) - value)


# ------------------------------------------------------------------ pricing
def dollars(
    usage: Usage,
    prices: dict[str, Any],
    *,
    express: frozenset[str] = frozenset(),
    traced: frozenset[str] = frozenset(),
    cpu_proxy: bool = False,
) -> dict[str, float]:
    """Dollars by service. Step Functions machines named in ``express`` are priced as Express
    workflows (requests and GB-seconds), the others as Standard (state transitions); those in
    ``traced`` record an X-Ray trace per execution."""
    cost: Counter[str] = Counter()
    lam = prices["lambda"]
    gb_seconds = 0.0
    for entry in usage["invocations"].values():
        cost["Lambda requests"] += entry["count"] * lam["per_request"]
        gb_seconds += entry["billed_ms"] / 1000 * entry["memory_mb"] / 1024
        cost["API Gateway (REST)"] += entry["api_requests"] * prices["apigateway"]["per_request"]
    cost["Lambda duration (arm64)"] += gb_seconds * lam["per_gb_second"]
    if cpu_proxy:
        cost["Lambda duration (arm64)"] = lam["per_gb_second"] * sum(
            math.ceil(e.get("cpu_ms", 0) / max(e["count"], 1e-9))
            * e["count"]
            / 1000
            * e["memory_mb"]
            / 1024
            for e in usage["invocations"].values()
        )
    amounts = defaultdict(float, usage["amounts"])
    ddb = prices["dynamodb"]
    cost["DynamoDB (on-demand)"] += (
        amounts["dynamodb_write_units"] * ddb["per_write_unit"]
        + amounts["dynamodb_read_units"] * ddb["per_read_unit"]
    )
    ses = prices["ses"]
    cost["SES outbound"] += (
        amounts["ses_messages_out"] * ses["outbound_per_message"]
        + amounts["ses_bytes_out"] / 2**30 * ses["outbound_per_gb"]
    )
    cost["SES inbound"] += (
        amounts["ses_messages_in"] * ses["inbound_per_message"]
        + amounts["ses_chunks_in"] * ses["inbound_per_chunk"]
    )
    cost["SNS SMS"] += amounts["sms_messages"] * prices["sns"]["per_sms_us"]
    cost["CloudWatch Logs ingest"] += (
        sum(usage["log_bytes"].values()) / 2**30 * prices["logs"]["per_gb_ingested"]
    )
    s3 = prices["s3"]
    for call in usage["calls"]:
        service, operation, count = call["service"], call["operation"], call["count"]
        if service == "s3":
            if operation in s3["put_class"]:
                cost["S3 requests"] += count * s3["per_put_class_request"]
            elif operation in s3["get_class"]:
                cost["S3 requests"] += count * s3["per_get_class_request"]
            elif operation not in s3["free"]:
                raise SystemExit(f"bench/prices.json: no price for s3:{operation}")
        elif service == "events" and operation == "PutEvents":
            cost["EventBridge events"] += count * prices["events"]["per_custom_event"]
        elif service == "sns" and operation == "Publish":
            pass  # SMS, priced per message above
        elif service == "sqs":
            cost["SQS"] += count * prices["sqs"]["per_request"]
        elif service == "secretsmanager":
            cost["Secrets Manager"] += count * prices["secretsmanager"]["per_api_call"]
        elif service in {"dynamodb", "ses", "stepfunctions"}:
            pass  # priced by capacity units, messages and transitions
        elif service not in prices["unpriced_calls"]:
            raise SystemExit(f"bench/prices.json: no price for {service}:{operation}")
    sfn = prices["stepfunctions"]
    factor = usage.get("execution_factor", 1.0)
    for execution in usage.get("executions", []):
        if execution["machine"] in express:
            billed = math.ceil(execution["seconds"] * 1000 / sfn["express_billing_ms"])
            seconds = billed * sfn["express_billing_ms"] / 1000
            cost["Step Functions"] += factor * (
                sfn["express_per_request"]
                + seconds * sfn["express_memory_mb"] / 1024 * sfn["express_per_gb_second"]
            )
        else:
            cost["Step Functions"] += (
                factor * execution["transitions"] * sfn["standard_per_transition"]
            )
    # A trace per traced entry point (the meter counts the functions'), and per execution of a
    # state machine with tracing on.
    traces = amounts["xray_traces"] + factor * sum(
        1 for e in usage.get("executions", []) if e["machine"] in traced
    )
    cost["X-Ray traces"] += traces * prices["xray"]["per_trace_recorded"]
    cost["EventBridge Scheduler"] += (
        usage.get("schedule_firings", 0) * prices["scheduler"]["per_invocation"]
    )
    return {k: v for k, v in cost.items() if v > 0}


# ------------------------------------------------------------------ printing
def print_calls(title: str, usage: Usage, per: float, unit: str) -> None:
    print(f"\n{title} (per {unit}):")
    for call in sorted(usage["calls"], key=lambda c: (-c["count"], c["service"])):
        if call["count"] / per >= 0.005:
            print(
                f"  {call['count'] / per:8.2f} x {call['service']}:{call['operation']:<22}"
                f" {call['function']}"
            )
    amounts = usage["amounts"]
    for name in sorted(amounts):
        print(f"  {amounts[name] / per:10.2f} {name}")
    for function, entry in sorted(usage["invocations"].items()):
        if entry["count"]:
            print(
                f"  {entry['count'] / per:8.2f} x lambda:{function:<22} "
                f"{entry['billed_ms'] / max(entry['count'], 1e-9):7.1f} ms each in-process "
                f"({entry.get('cpu_ms', 0) / max(entry['count'], 1e-9):.1f} ms CPU), "
                f"{int(entry['memory_mb'])} MB, {entry['api_requests'] / per:.2f} via API Gateway"
            )
    print(f"  {sum(usage['log_bytes'].values()) / per:10.0f} log bytes")


def print_dollars(title: str, cost: dict[str, float], scale: float, unit: str) -> float:
    print(f"\n{title}:")
    for service, value in sorted(cost.items(), key=lambda kv: -kv[1]):
        print(f"  {service:<26} ${value * scale:9.4f} {unit}")
    total = sum(cost.values()) * scale
    print(f"  {'total':<26} ${total:9.4f} {unit}")
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20, help="full mail lifecycles")
    parser.add_argument("--breaches", type=int, default=None, help="default: tickets / 10")
    parser.add_argument("--portal", type=int, default=None, help="default: tickets / 10")
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--polls", type=int, default=5, help="console polls of each kind")
    parser.add_argument(
        "--as-standard",
        action="store_true",
        help="also price every state machine as a Standard workflow (routing before decision 0010)",
    )
    args = parser.parse_args(argv)
    breaches = max(1, args.tickets // 10) if args.breaches is None else args.breaches
    portal = max(1, args.tickets // 10) if args.portal is None else args.portal
    prices = json.loads(PRICES.read_text(encoding="utf-8"))
    template = Template.load()
    scheduled = {s.function: s.seconds for s in schedules(template)}
    logical = {template.ref(f): f for f in template.of_type("AWS::Serverless::Function")}
    scheduled = {logical.get(name, name): seconds for name, seconds in scheduled.items()}
    state_machines = template.of_type("AWS::Serverless::StateMachine")
    traced = frozenset(
        template.ref(machine).rsplit(":", 1)[-1]
        for machine, resource in state_machines.items()
        if resource["Properties"].get("Tracing", {}).get("Enabled")
    )
    # Priced as the template declares each machine: Express by duration, Standard by transition.
    declared_express = frozenset(
        template.ref(machine).rsplit(":", 1)[-1]
        for machine, resource in state_machines.items()
        if resource["Properties"].get("Type", "STANDARD") == "EXPRESS"
    )

    def price(
        usage: Usage, express: frozenset[str] = declared_express, cpu_proxy: bool = False
    ) -> dict[str, float]:
        return dollars(usage, prices, express=express, traced=traced, cpu_proxy=cpu_proxy)

    with bench_stack() as stack:
        token = stack.login(AGENT)
        # 1. idle: the schedules on an empty table
        usage(stack, reset=True)
        time.sleep(args.idle_seconds)
        idle = usage(stack)
        fired = firings(idle, scheduled)
        # A schedule slower than the window (the weekly digest fires every 2.8 h at the
        # clock's speed) cannot be seen firing here: it is priced below from the others.
        rare = {f for f, seconds in scheduled.items() if seconds / CLOCK_SPEED > args.idle_seconds}
        if not all(n for f, n in fired.items() if f not in rare):
            raise SystemExit(f"bench.cost: a schedule never fired in the idle window: {fired}")
        idle_per_firing: dict[str, Usage] = {}
        for function in scheduled:
            if function in rare and not fired[function]:
                continue
            only = {
                "calls": [c for c in idle["calls"] if c["function"] == function],
                "amounts": {},
                "invocations": {function: idle["invocations"][function]},
                "log_bytes": {function: idle["log_bytes"].get(function, 0)},
            }
            idle_per_firing[function] = scaled(only, 1 / fired[function])
        for function in sorted(rare - set(idle_per_firing)):
            # Not seen: one invocation per firing, as long and as chatty as the costliest
            # schedule that was seen (an upper bound; on an empty table it reads one partition).
            costliest = max(
                idle_per_firing.values(),
                key=lambda u: sum(e.get("billed_ms", 0) for e in u["invocations"].values()),
            )
            (entry,) = costliest["invocations"].values()
            idle_per_firing[function] = {
                "calls": costliest["calls"],
                "amounts": {},
                "invocations": {function: dict(entry, count=1)},
                "log_bytes": {function: sum(costliest["log_bytes"].values())},
            }
            print(
                f"{function} fires every {scheduled[function] // 86400} days: not seen in the "
                "idle window; priced as one firing of the costliest schedule that was"
            )
        month: Usage = {"calls": [], "amounts": {}, "invocations": {}, "log_bytes": {}}
        per_month_firings = 0.0
        for function, seconds in scheduled.items():
            monthly = MONTH_SECONDS / seconds
            per_month_firings += monthly
            part = scaled(idle_per_firing[function], monthly)
            month["calls"] += part["calls"]
            month["invocations"].update(part["invocations"])
            month["log_bytes"].update(part["log_bytes"])
        # DynamoDB units of the idle window were not split by function: all are the schedules'.
        month["amounts"] = {
            k: v * MONTH_SECONDS / idle["seconds"] * (1 / CLOCK_SPEED)
            for k, v in idle["amounts"].items()
        }
        month["schedule_firings"] = per_month_firings

        # 2. tickets
        began = time.time()
        usage(stack, reset=True)
        mail_lifecycles(stack, token, args.tickets)
        breach_lifecycles(stack, breaches)
        portal_lifecycles(stack, token, portal)
        time.sleep(2)  # the last executions' final steps
        raw = usage(stack)
        ticket_usage = net(raw, idle, idle_per_firing)
        ticket_usage["executions"] = executions(stack, began)
        total = args.tickets + breaches + portal

        # 3. the console's polling
        sample = tickets().recent(limit=1).items[0]
        polls = console_polls(stack, token, sample.id, args.polls, idle, idle_per_firing)

    print(
        f"Tessera cost per ticket on the local stack: {args.tickets} mail lifecycles, "
        f"{breaches} breach-and-escalate, {portal} portal tickets ({total} tickets); "
        f"prices: {PRICES.name} ({prices['region']}, {prices['as_of']}, no free tier)"
    )
    print(
        "Lambda billed duration: each invocation's in-process time on this machine "
        "(the proxy for Lambda's), rounded up to 1 ms"
    )
    print_calls("AWS calls per ticket", ticket_usage, total, "ticket")
    machines = Counter(e["machine"] for e in ticket_usage["executions"])
    transitions = Counter()
    for e in ticket_usage["executions"]:
        transitions[e["machine"]] += e["transitions"]
    for machine, count in sorted(machines.items()):
        print(
            f"  {count / total:8.2f} x stepfunctions:execution {machine}, "
            f"{transitions[machine] / total:.2f} state transitions"
        )
    per_ticket = price(ticket_usage)
    all_in = print_dollars("$ per 1,000 tickets by service", per_ticket, 1000 / total, "/ 1k")
    lower = price(ticket_usage, cpu_proxy=True)["Lambda duration (arm64)"] * 1000 / total
    print(
        f"  (Lambda duration from the handlers' CPU time instead: ${lower:.4f} / 1k, a lower "
        "bound: it leaves out waiting for AWS; a busy machine stretches only the wall time)"
    )
    if args.as_standard:
        standard = price(ticket_usage, frozenset())
        print_dollars(
            "$ per 1,000 tickets with every state machine Standard", standard, 1000 / total, "/ 1k"
        )

    print_calls("AWS calls per month idle (schedules on an empty table)", month, 1, "month")
    idle_cost = print_dollars("$ per month idle", price(month), 1, "/ month")

    print("\nconsole polling, per poll:")
    hour: dict[str, float] = Counter()
    for name, per_poll in polls.items():
        cost = price(per_poll)
        calls = sum(c["count"] for c in per_poll["calls"] if c["service"] == "dynamodb")
        print(f"  {name:<24} {calls:5.2f} DynamoDB calls, ${sum(cost.values()) * 1e6:8.2f} per 1M")
        for service, value in cost.items():
            hour[service] += value * POLLS_PER_HOUR[name]
    print_dollars(
        "$ per agent-hour of polling (queue, notifications, an open ticket)", hour, 1, "/h"
    )

    ses = ("SES outbound", "SES inbound")
    without_ses = sum(v for k, v in per_ticket.items() if k not in ses) * 1000 / total
    print()
    print(f"all-in: ${all_in:.3f} per 1,000 tickets")
    print(f"without SES: ${without_ses:.3f} per 1,000 tickets")
    print(f"idle: ${idle_cost:.2f} per month")
    return 0


if __name__ == "__main__":
    sys.exit(main())

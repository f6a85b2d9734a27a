"""Generated Zendesk and Freshdesk exports with known counts, in the shapes their APIs return
(and Freshdesk's CSV), in English, Persian and Greek. Each builder returns what a correct import
of its files must give, so a test compares against figures, never against the importer."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

T0 = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)

# (language, subject, body): the words a ticket is written in.
WORDS = [
    ("en", "Invoice {n} is wrong", "The amount on invoice {n} is not what we agreed."),
    ("fa", "فاکتور {n} اشتباه است", "مبلغ فاکتور {n} با قرارداد ما یکی نیست."),
    ("el", "Το τιμολόγιο {n} είναι λάθος", "Το ποσό στο τιμολόγιο {n} δεν συμφωνεί."),
]


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Expected:
    """What a correct import of the generated export gives."""

    tickets: int = 0  # readable tickets
    messages: int = 0
    refused: list[str] = field(default_factory=list)  # where each bad record is
    statuses: dict[int, str] = field(default_factory=dict)  # number -> Tessera status
    internal: dict[int, int] = field(default_factory=dict)  # number -> internal notes
    subjects: dict[int, str] = field(default_factory=dict)
    unmapped: dict[str, set[str]] = field(default_factory=dict)


ZENDESK_STATUSES = ["new", "open", "pending", "hold", "solved", "closed"]
ZENDESK_TO_TESSERA = {"hold": "on-hold"}


def zendesk_export(directory: Path, *, tickets: int = 300) -> Expected:
    """Pages of the incremental ticket export (two pages, the second repeating one changed
    ticket), comments as ticket_events with comment_events, users, groups, organizations and
    ticket fields. Every 100th ticket's requester has no user (refused), ticket 7 is deleted
    (refused), every 40th names a group that is not in groups (unmapped)."""
    directory.mkdir(parents=True, exist_ok=True)
    expected = Expected()
    users = [
        {"id": 1, "email": "agent.one@example.com", "role": "agent", "locale": "en-US"},
        {"id": 2, "email": "agent.two@example.com", "role": "agent", "locale": "el"},
    ]
    rows, events = [], []
    for n in range(1, tickets + 1):
        language, subject, body = WORDS[n % 3]
        requester_id = 1000 + n
        if n % 100 != 0:
            users.append(
                {
                    "id": requester_id,
                    "email": f"customer{n}@zendesk.test",
                    "role": "end-user",
                    "locale": language,
                }
            )
        status = ZENDESK_STATUSES[n % 6]
        group_id = 999 if n % 40 == 0 else 10 + n % 2
        ticket = {
            "id": n,
            "subject": subject.format(n=n),
            "description": body.format(n=n),
            "status": "deleted" if n == 7 else status,
            "priority": ["low", "normal", "high", "urgent", None][n % 5],
            "requester_id": requester_id,
            "assignee_id": 1 + n % 2,
            "group_id": group_id,
            "organization_id": 500,
            "tags": ["billing", language],
            "custom_fields": [
                {"id": 360001, "value": f"plan-{n % 3}"},
                {"id": 360002, "value": None},
            ],
            "via": {"channel": ["email", "web", "api", "voice"][n % 4]},
            "created_at": at(n * 10),
            "updated_at": at(n * 10 + 5),
            "collaborator_ids": [2] if n % 10 == 0 else [],
        }
        rows.append(ticket)
        comments = 1 + n % 4
        for c in range(comments):
            public = c % 3 != 2
            events.append(
                {
                    "id": n * 100 + c,
                    "ticket_id": n,
                    "created_at": at(n * 10 + c),
                    "event_type": "Audit",
                    "child_events": [
                        {
                            "id": n * 1000 + c,
                            "event_type": "Comment",
                            "author_id": requester_id if c % 2 == 0 else 1 + n % 2,
                            "body": body.format(n=n) if c == 0 else f"{language} reply {c} on {n}",
                            "html_body": "<p><script>alert(1)</script>html</p>",
                            "public": public,
                            "attachments": [],
                        },
                        {"id": n * 1000 + 50 + c, "event_type": "Change", "field_name": "status"},
                    ],
                }
            )
        bad = n % 100 == 0 or n == 7
        if bad:
            expected.refused.append(f"ticket {n}")
            continue
        expected.tickets += 1
        expected.messages += comments
        expected.statuses[n] = ZENDESK_TO_TESSERA.get(status, status)
        expected.internal[n] = sum(1 for c in range(comments) if c % 3 == 2)
        expected.subjects[n] = subject.format(n=n)
        if group_id == 999:
            expected.unmapped.setdefault("group", set()).add("999")
    half = len(rows) // 2
    changed = dict(rows[0], updated_at=at(99999), tags=["billing", "changed"])
    pages = [
        {"tickets": rows[:half], "end_of_stream": False, "after_cursor": "c1"},
        {"tickets": [*rows[half:], changed], "end_of_stream": True, "after_cursor": None},
    ]
    for number, page in enumerate(pages, start=1):
        (directory / f"tickets-{number}.json").write_text(json.dumps(page), encoding="utf-8")
    (directory / "ticket_events.json").write_text(
        json.dumps({"ticket_events": events, "end_of_stream": True}), encoding="utf-8"
    )
    (directory / "users.json").write_text(json.dumps({"users": users}), encoding="utf-8")
    (directory / "groups.json").write_text(
        json.dumps({"groups": [{"id": 10, "name": "billing"}, {"id": 11, "name": "support"}]}),
        encoding="utf-8",
    )
    (directory / "organizations.json").write_text(
        json.dumps({"organizations": [{"id": 500, "name": "Acme"}]}), encoding="utf-8"
    )
    (directory / "ticket_fields.json").write_text(
        json.dumps({"ticket_fields": [{"id": 360001, "title": "Plan"}]}), encoding="utf-8"
    )
    return expected


FRESHDESK_STATUSES = [(2, "open"), (3, "pending"), (4, "solved"), (5, "closed"), (6, "open")]


def freshdesk_export(
    directory: Path, *, api_tickets: int = 200, csv_tickets: int = 100
) -> Expected:
    """API JSON tickets with their conversations (ids 1..), contacts, agents, groups; and a CSV
    of more tickets (ids 9001..). Status 6 (a custom "Waiting on customer") is unmapped; every
    50th API ticket has a requester without a contact (refused); one CSV row has a bad time."""
    directory.mkdir(parents=True, exist_ok=True)
    expected = Expected()
    contacts, tickets = [], []
    for n in range(1, api_tickets + 1):
        language, subject, body = WORDS[n % 3]
        if n % 50 != 0:
            contacts.append({"id": 5000 + n, "email": f"Client{n}@Freshdesk.test", "name": "C"})
        code, status = FRESHDESK_STATUSES[n % 5]
        conversations = [
            {
                "id": n * 10 + c,
                "body": "<b>html</b>",
                "body_text": f"{language} conversation {c} on {n}",
                "incoming": c % 2 == 0,
                "private": c == 1,
                "user_id": 5000 + n if c % 2 == 0 else 77,
                "created_at": at(n * 10 + c + 1),
                "attachments": [{"name": "log.txt", "attachment_url": "https://x.test/log"}]
                if c == 0
                else [],
            }
            for c in range(n % 3)
        ]
        tickets.append(
            {
                "id": n,
                "subject": subject.format(n=n),
                "description_text": body.format(n=n),
                "description": f"<div>{body.format(n=n)}</div>",
                "status": code,
                "priority": 1 + n % 4,
                "source": [1, 2, 3, 7][n % 4],
                "requester_id": 5000 + n,
                "responder_id": 77,
                "group_id": 3,
                "tags": ["vip"] if n % 7 == 0 else [],
                "custom_fields": {"cf_plan": f"plan-{n % 2}", "cf_empty": None},
                "cc_emails": [],
                "created_at": at(n * 10),
                "updated_at": at(n * 10 + 9),
                "conversations": conversations,
            }
        )
        if n % 50 == 0:
            expected.refused.append(f"ticket {n}")
            continue
        expected.tickets += 1
        expected.messages += 1 + len(conversations)
        expected.statuses[n] = status
        expected.internal[n] = sum(1 for c in conversations if c["private"])
        expected.subjects[n] = subject.format(n=n)
        if code == 6:
            expected.unmapped.setdefault("status", set()).add("6")
    (directory / "tickets.json").write_text(json.dumps(tickets), encoding="utf-8")
    (directory / "contacts.json").write_text(json.dumps(contacts), encoding="utf-8")
    (directory / "agents.json").write_text(
        json.dumps([{"id": 77, "contact": {"name": "Eleni Agent", "email": "eleni@example.com"}}]),
        encoding="utf-8",
    )
    (directory / "groups.json").write_text(json.dumps([{"id": 3, "name": "billing"}]), "utf-8")
    columns = [
        "Ticket ID",
        "Subject",
        "Description",
        "Status",
        "Priority",
        "Source",
        "Agent",
        "Group",
        "Created time",
        "Last updated time",
        "Tags",
        "Email",
        "Contract",
    ]
    with (directory / "tickets.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for n in range(9001, 9001 + csv_tickets):
            language, subject, body = WORDS[n % 3]
            status = ["Open", "Pending", "Resolved", "Closed"][n % 4]
            created = "not a time" if n == 9005 else at(n).replace("T", " ").rstrip("Z")
            writer.writerow(
                [
                    n,
                    subject.format(n=n),
                    body.format(n=n),
                    status,
                    "Medium",
                    "Email",
                    "Eleni Agent",
                    "billing",
                    created,
                    created,
                    "csv,import",
                    f"row{n}@freshdesk.test",
                    f"C-{n}",
                ]
            )
            if n == 9005:
                expected.refused.append("tickets.csv:6")
                continue
            expected.tickets += 1
            expected.messages += 1
            expected.statuses[n] = {"Resolved": "solved"}.get(status, status.lower())
            expected.internal[n] = 0
            expected.subjects[n] = subject.format(n=n)
    return expected

"""Imports from generated Zendesk and Freshdesk exports, and a Tessera export read back, on the
tickets table from template.yaml (moto): known counts, mapped values, idempotent re-runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tessera.adapters.dynamodb.archive import DynamoArchive
from tessera.adapters.dynamodb.config_store import DynamoConfigStore
from tessera.adapters.dynamodb.tickets import DynamoTicketRepository
from tessera.adapters.s3 import S3AttachmentStore
from tessera.portability import freshdesk, zendesk
from tessera.portability.importing import ImportReport, run_import
from tessera.portability.native import ExportFile, export_records, read_export
from tessera.portability.records import event_record, message_record, ticket_record
from tessera.portability.sources import Unmapped
from tessera.tickets.model import Attachment, Message, MessageKind, Status
from tests.exports import freshdesk_export, zendesk_export
from tests.factories import stored_ticket

pytestmark = pytest.mark.integration

BUCKET = "attachments-test"


@pytest.fixture
def archive(tickets_table: str) -> DynamoArchive:
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    return DynamoArchive(DynamoTicketRepository(tickets_table))


def item_count(table: str) -> int:
    return int(boto3.client("dynamodb").scan(TableName=table, Select="COUNT")["Count"])


def import_dir(archive: DynamoArchive, module: Any, path: Path, *, dry_run: bool) -> ImportReport:
    unmapped = Unmapped()
    return run_import(
        archive,
        module.read(path, unmapped),
        source=module.SOURCE,
        dry_run=dry_run,
        unmapped=unmapped.values,
        progress=lambda _: None,
    )


def every_ticket(archive: DynamoArchive) -> list[Any]:
    ids: list[str] = []
    cursor = None
    while True:
        page, cursor = archive.ticket_ids(limit=100, cursor=cursor)
        ids += page
        if cursor is None:
            return [archive.thread(i) for i in ids]


def test_a_zendesk_export_imports_with_its_numbers_and_a_second_run_adds_nothing(
    archive: DynamoArchive, tickets_table: str, tmp_path: Path
) -> None:
    # Given a generated Zendesk export of 300 tickets, four of them bad
    expected = zendesk_export(tmp_path / "zendesk")
    # When it is imported dry
    dry = import_dir(archive, zendesk, tmp_path / "zendesk", dry_run=True)
    # Then the summary has the counts and the bad records, and nothing is written
    assert (dry.read, dry.imported, dry.messages) == (
        expected.tickets,
        expected.tickets,
        expected.messages,
    )
    assert sorted(e.where.split(": ")[-1] for e in dry.errors) == sorted(expected.refused)
    assert {k: set(v) for k, v in dry.unmapped.items()} == expected.unmapped
    assert item_count(tickets_table) == 0
    # When it is imported for real
    report = import_dir(archive, zendesk, tmp_path / "zendesk", dry_run=False)
    # Then every readable ticket is there under its Zendesk number, mapped
    assert (report.imported, report.already, report.renumbered) == (expected.tickets, 0, [])
    threads = {t.ticket.number: t for t in every_ticket(archive)}
    assert set(threads) == set(expected.statuses)
    assert {n: t.ticket.status.value for n, t in threads.items()} == expected.statuses
    assert {n: t.ticket.subject for n, t in threads.items()} == expected.subjects
    internal = {
        n: sum(m.kind is MessageKind.INTERNAL for m in t.messages) for n, t in threads.items()
    }
    assert internal == expected.internal
    assert sum(len(t.messages) for t in threads.values()) == expected.messages
    persian = threads[2]  # WORDS[2 % 3] is Greek, [1] Persian: ticket 1 is fa
    assert threads[1].ticket.language == "fa"
    assert "فاکتور" in threads[1].ticket.subject
    assert persian.ticket.language == "el"
    first = threads[1]
    assert first.ticket.tags == frozenset({"billing", "changed"})  # the later copy won
    assert first.ticket.custom_fields == {"Plan": "plan-1", "organization": "Acme"}
    assert first.ticket.group == "support"
    assert first.ticket.assignee == "agent.two@example.com"
    assert first.ticket.requester == "customer1@zendesk.test"
    assert first.messages[0].created_at.isoformat() == "2024-01-08T09:10:00+00:00"
    assert all("<script>" not in m.text and m.html == "" for m in first.messages)
    # imported quietly: no routing, no SLA timer, the import in the audit
    assert all(t.ticket.routing_since is None and t.ticket.due_at is None for t in threads.values())
    assert [e.action for e in first.events] == ["ticket.imported"]
    # the mapping is recorded, and the counter is past the imported numbers' range
    assert len(archive.mappings("zendesk")) == expected.tickets
    assert archive.next_number() == 1001  # Zendesk's numbers are all below Tessera's
    # When it is imported again
    items = item_count(tickets_table)
    again = import_dir(archive, zendesk, tmp_path / "zendesk", dry_run=False)
    # Then nothing is added
    assert (again.imported, again.already) == (0, expected.tickets)
    assert item_count(tickets_table) == items


def test_a_freshdesk_export_after_zendesk_gets_new_numbers_where_they_are_taken(
    archive: DynamoArchive, tmp_path: Path
) -> None:
    # Given a Zendesk import (numbers 1-300) and a Freshdesk export whose API ids overlap them
    zendesk_export(tmp_path / "zendesk", tickets=60)
    import_dir(archive, zendesk, tmp_path / "zendesk", dry_run=False)
    expected = freshdesk_export(tmp_path / "freshdesk")
    # When it is imported
    report = import_dir(archive, freshdesk, tmp_path / "freshdesk", dry_run=False)
    # Then every readable ticket is in, the overlapping ones renumbered and recorded
    assert report.imported == expected.tickets
    assert "tickets.csv:6" in {e.where for e in report.errors}
    assert len(report.errors) == len(expected.refused)
    assert report.unmapped["status"]["6"] > 0
    renumbered = {was: now for _, was, now in report.renumbered}
    assert set(renumbered) == {n for n in expected.statuses if n <= 60 and n not in (7,)}
    mappings = {m.original_number: m for m in archive.mappings("freshdesk")}
    assert all(mappings[was].number == now for was, now in renumbered.items())
    threads = {
        m.original_number: archive.thread(m.ticket_id) for m in archive.mappings("freshdesk")
    }
    assert {n: t.ticket.status.value for n, t in threads.items()} == expected.statuses
    internal = {
        n: sum(m.kind is MessageKind.INTERNAL for m in t.messages) for n, t in threads.items()
    }
    assert internal == expected.internal
    csv_ticket = threads[9002]
    assert csv_ticket.ticket.number == 9002
    assert csv_ticket.ticket.assignee == "eleni@example.com"
    assert csv_ticket.ticket.custom_fields == {"Contract": "C-9002"}
    assert threads[1].ticket.requester == "client1@freshdesk.test"
    assert (
        threads[4]
        .messages[1]
        .text.endswith("[attachment in freshdesk: log.txt (https://x.test/log)]")
    )
    # and new tickets never get an imported number: the counter moved past 9100
    assert archive.next_number() == 9101
    # When it runs again, nothing more
    again = import_dir(archive, freshdesk, tmp_path / "freshdesk", dry_run=False)
    assert (again.imported, again.already) == (0, expected.tickets)


def test_an_export_read_into_a_fresh_table_gives_the_same_tickets(
    archive: DynamoArchive, tickets_table: str
) -> None:
    # Given tickets written by the helpdesk, with an attachment, a note and config applied
    repository = archive.tickets
    files = S3AttachmentStore(BUCKET)
    config = DynamoConfigStore(tickets_table)
    config.apply("mailboxes", "mailboxes: []\n", actor="admin", expected_version=None)
    made = []
    for n in range(12):
        ticket = stored_ticket(repository, subject=f"Σπασμένο {n}", requester=f"p{n}@example.com")
        files.put(f"mail/{n:064x}", b"bytes %d" % n, content_type="text/plain", filename="a.txt")
        message = Message(
            ticket_id=ticket.id,
            kind=MessageKind.INTERNAL if n % 2 else MessageKind.PUBLIC,
            author="alice@example.com",
            text=f"پاسخ {n}",
            attachments=(Attachment(f"mail/{n:064x}", "a.txt", "text/plain", 7),),
        )
        repository.add_message(ticket, message, [])
        if n % 3 == 0:
            repository.save(
                ticket, [ticket.change(actor="agent:alice", reason="t", status=Status.PENDING)]
            )
        made.append(ticket.id)
    before = {i: _thread_records(archive, i) for i in made}
    # When everything is exported (with the files) ...
    lines = [
        json.dumps(r, ensure_ascii=False) for r in export_records(archive, config, ["mailboxes"])
    ]
    saved = {f"mail/{n:064x}": files.get(f"mail/{n:064x}") for n in range(12)}
    assert json.loads(lines[-1]) == {
        "record": "end",
        "tickets": 12,
        "messages": 24,
        "attachments": 12,
        "events": 12 + 4,
        "configs": 1,
    }
    # ... and read into a fresh table and bucket
    boto3.client("dynamodb").delete_table(TableName=tickets_table)
    s3 = boto3.client("s3")
    for key in saved:
        s3.delete_object(Bucket=BUCKET, Key=key)
    from tessera_local.provision import create_tables
    from tessera_local.template import Template

    create_tables(Template.load(), boto3.client("dynamodb"))
    fresh = DynamoArchive(DynamoTicketRepository(tickets_table))
    found = ExportFile(configs=[])
    report = run_import(
        fresh,
        read_export(lines, found, files=saved.get),
        source="tessera",
        dry_run=False,
        attachments=lambda: files,
        progress=lambda _: None,
    )
    # Then the same tickets, threads, numbers and files are there
    assert (report.imported, report.errors, report.renumbered) == (12, [], [])
    assert {i: _thread_records(fresh, i) for i in made} == before
    assert all(files.get(k) == v for k, v in saved.items())
    assert [c["kind"] for c in found.configs] == ["mailboxes"]
    assert fresh.next_number() == max(t["ticket"]["number"] for t in before.values()) + 1
    # and reading it twice imports nothing twice
    again = run_import(
        fresh,
        read_export(lines, ExportFile(configs=[])),
        source="tessera",
        dry_run=False,
        progress=lambda _: None,
    )
    assert (again.imported, again.already) == (0, 12)


def _thread_records(archive: DynamoArchive, ticket_id: str) -> dict[str, Any]:
    thread = archive.thread(ticket_id)
    return {
        "ticket": ticket_record(thread.ticket),
        "messages": [message_record(m) for m in thread.messages],
        "events": [event_record(e) for e in thread.events],
    }


def test_a_broken_export_refuses_the_bad_tickets_whole(archive: DynamoArchive) -> None:
    # Given an export whose second ticket has a message line that is not JSON
    lines = [
        json.dumps({"record": "header", "format": "tessera-export", "version": 1}),
        *_ticket_lines("01HZZZZZZZZZZZZZZZZZZZZZZ1", 5001),
        *_ticket_lines("01HZZZZZZZZZZZZZZZZZZZZZZ2", 5002),
        json.dumps({"record": "end"}),
    ]
    lines[4] = lines[4][:20]
    # When it is imported
    report = run_import(
        archive,
        read_export(lines, ExportFile(configs=[]), name="x.jsonl"),
        source="tessera",
        dry_run=False,
        progress=lambda _: None,
    )
    # Then the first ticket is in, the second refused whole, naming its line
    assert report.imported == 1
    assert [e.where for e in report.errors] == ["x.jsonl:4"]
    assert [t.ticket.number for t in every_ticket(archive)] == [5001]


def _ticket_lines(ticket_id: str, number: int) -> list[str]:
    stamp = "2024-05-01T10:00:00Z"
    ticket = {
        "record": "ticket",
        "id": ticket_id,
        "number": number,
        "subject": "s",
        "requester": "r@example.com",
        "channel": "email",
        "status": "open",
        "priority": "normal",
        "tags": [],
        "custom_fields": {},
        "participants": [],
        "created_at": stamp,
        "updated_at": stamp,
    }
    message = {
        "record": "message",
        "ticket_id": ticket_id,
        "id": ticket_id,
        "kind": "public",
        "author": "r@example.com",
        "text": "hello",
        "attachments": [],
        "created_at": stamp,
    }
    return [json.dumps(ticket), json.dumps(message)]

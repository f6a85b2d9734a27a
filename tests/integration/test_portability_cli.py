"""``tessera export``, ``import`` and ``privacy`` as an operator runs them (the CLI's main, the
stack's names in the environment), on moto: files written and read back, summaries printed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tessera import bootstrap, settings
from tessera.cli import main
from tessera.tickets.model import Attachment, Message, MessageKind
from tests.exports import zendesk_export
from tests.factories import stored_ticket

pytestmark = pytest.mark.integration

BUCKET = "attachments-cli"
CACHED = (
    settings.table_name,
    settings.attachments_bucket,
    bootstrap.dependencies,
    bootstrap.archive,
    bootstrap.config_store,
    bootstrap._attachments,
)


@pytest.fixture
def stack_env(tickets_table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("TABLE_NAME", tickets_table)
    monkeypatch.setenv("ATTACHMENTS_BUCKET", BUCKET)
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    for cached in CACHED:
        cached.cache_clear()
    yield tickets_table
    for cached in CACHED:
        cached.cache_clear()


def fresh_table(table: str) -> None:
    """An empty table and bucket, as a fresh stack has them."""
    from tessera_local.provision import create_tables
    from tessera_local.template import Template

    boto3.client("dynamodb").delete_table(TableName=table)
    create_tables(Template.load(), boto3.client("dynamodb"))
    s3 = boto3.resource("s3").Bucket(BUCKET)
    s3.objects.all().delete()
    for cached in CACHED:
        cached.cache_clear()


def test_export_then_import_into_a_fresh_stack_by_the_cli(
    stack_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given tickets with a file
    tickets = bootstrap.dependencies().tickets
    bootstrap.attachments().put("mail/f1", b"file bytes", content_type="text/plain", filename="f")
    made = []
    for n in range(5):
        ticket = stored_ticket(tickets, subject=f"Ερώτηση {n}", requester=f"q{n}@example.com")
        file = Attachment("mail/f1", "f.txt", "text/plain", 10)
        tickets.add_message(
            ticket,
            Message(ticket.id, MessageKind.PUBLIC, "alice@example.com", "ok", attachments=(file,)),
            [],
        )
        made.append(tickets.get(ticket.id))
    # When they are exported with their files
    out, files = tmp_path / "desk.jsonl", tmp_path / "files"
    assert main(["export", "-o", str(out), "--attachments", str(files)]) == 0
    exported = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(exported[-1])["tickets"] == 5
    assert (files / "mail" / "f1").read_bytes() == b"file bytes"
    capsys.readouterr()
    # ... and imported into a fresh stack, dry first
    fresh_table(stack_env)
    assert main(["import", str(out), "--attachments", str(files), "--dry-run"]) == 0
    assert "would import 5 (10 messages, 5 events, 5 files)" in capsys.readouterr().out
    assert main(["import", str(out), "--attachments", str(files)]) == 0
    printed = capsys.readouterr().out
    # Then the same tickets are there, with their numbers and the file
    assert "imported 5 (10 messages" in printed
    tickets = bootstrap.dependencies().tickets
    for before in made:
        after = tickets.get(before.id)
        assert after.snapshot() == before.snapshot()
        assert tickets.get_by_number(before.number).id == before.id
    assert bootstrap.attachments().get("mail/f1") == b"file bytes"
    # and the export of the fresh stack has the same ticket, message and event lines
    again = tmp_path / "again.jsonl"
    assert main(["export", "-o", str(again)]) == 0

    def body(lines: list[str]) -> list[str]:
        return [
            line for line in lines if json.loads(line)["record"] in {"ticket", "message", "event"}
        ]

    assert body(again.read_text(encoding="utf-8").splitlines()) == body(exported)
    # and a second import adds nothing
    assert main(["import", str(out)]) == 0
    assert "imported 0 " in capsys.readouterr().out


def test_a_zendesk_dry_run_prints_counts_unmapped_values_and_bad_records(
    stack_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a Zendesk export of 60 tickets, two of them bad
    expected = zendesk_export(tmp_path / "zd", tickets=60)
    # When it is imported dry
    code = main(["import", "--from", "zendesk", str(tmp_path / "zd"), "--dry-run"])
    # Then the summary says what would happen, the bad records by place, and exit 1
    printed = capsys.readouterr().out
    assert code == 1
    assert f"would import {expected.tickets} ({expected.messages} messages" in printed
    assert "unmapped group: '999' x1" in printed
    assert "refused tickets-1.json: ticket 7: unreadable: a deleted ticket" in printed
    assert bootstrap.archive().ticket_ids(limit=10) == ([], None)


def test_privacy_erase_by_the_cli_says_what_it_did(
    stack_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stored_ticket(bootstrap.dependencies().tickets, requester="gone@example.com")
    assert main(["privacy", "export", "gone@example.com"]) == 0
    assert json.loads(capsys.readouterr().out)["tickets"][0]["role"] == "requester"
    assert main(["privacy", "erase", "gone@example.com"]) == 0
    assert "erased gone@example.com: 1 tickets, 1 messages redacted" in capsys.readouterr().out
    assert main(["privacy", "erase", "not-an-address"]) == 1
    assert "email: must be an email address" in capsys.readouterr().err

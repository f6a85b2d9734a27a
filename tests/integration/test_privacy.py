"""``privacy export`` and ``privacy erase`` of one requester on the tickets table from
template.yaml (moto): after an erase, no item and no object holds their address or their words
(checked by reading every item and every object, as only a test may), the audit is kept, and
everyone else's data is untouched."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from tessera.adapters.dynamodb.archive import DynamoArchive
from tessera.adapters.dynamodb.mail_ledger import DynamoMailLedger
from tessera.adapters.dynamodb.rate_counters import DynamoRateCounters
from tessera.adapters.dynamodb.tickets import DynamoTicketRepository
from tessera.adapters.dynamodb.workspace import DynamoNotifications
from tessera.adapters.s3 import S3AttachmentStore, S3RawMailStore
from tessera.errors import ValidationFailed
from tessera.ports import Notification
from tessera.privacy.requester import erase_requester, export_requester
from tessera.tickets.model import Attachment, Message, MessageKind, new_id
from tests.factories import stored_ticket

pytestmark = pytest.mark.integration

BUCKET = "attachments-privacy"
RAW_BUCKET = "raw-mail-privacy"
VERA = "vera.victim@example.com"
HER_WORDS = "my passport number is X123"
HER_NAME = "Vera Quellmalz"
OLGA_WORDS = "olga keeps her words"


@pytest.fixture
def world(tickets_table: str) -> dict[str, object]:
    """Vera's own ticket (her mail, a file, an agent's answer to her, a note naming her), a
    ticket of Olga's that Vera follows and wrote in, and what mail and rate limits keep under
    Vera's address; an agent's notification about Vera's ticket."""
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    boto3.client("s3").create_bucket(Bucket=RAW_BUCKET)
    for key in ("inbound/vera-own", "inbound/vera-in-olgas"):
        boto3.client("s3").put_object(
            Bucket=RAW_BUCKET, Key=key, Body=f"From: {VERA}\r\n\r\n{HER_WORDS}".encode()
        )
    boto3.client("s3").put_object(
        Bucket=RAW_BUCKET, Key="inbound/olga", Body=f"From: olga\r\n\r\n{OLGA_WORDS}".encode()
    )
    repository = DynamoTicketRepository(tickets_table)
    files = S3AttachmentStore(BUCKET)
    own = stored_ticket(
        repository,
        subject=f"Help: {HER_WORDS}",
        requester=VERA.upper(),
        requester_name=HER_NAME,
    )
    files.put("mail/vera-file", HER_WORDS.encode(), content_type="text/plain", filename="p.txt")
    for kind, author, text, attachments, raw_key in [
        (
            MessageKind.PUBLIC,
            VERA,
            HER_WORDS,
            (Attachment("mail/vera-file", "p.txt", "text/plain", 26),),
            "inbound/vera-own",
        ),
        (MessageKind.PUBLIC, "alice@example.com", f"Dear {VERA}, we have {HER_WORDS}", (), None),
        (MessageKind.INTERNAL, "alice@example.com", f"Called {VERA} back", (), None),
    ]:
        name = HER_NAME if author == VERA else None
        message = Message(
            own.id, kind, author, text, attachments=attachments, raw_key=raw_key, author_name=name
        )
        repository.add_message(own, message, [])
    olgas = stored_ticket(
        repository, subject="Olga's order", requester="olga@example.com", participants=[VERA]
    )
    repository.add_message(
        olgas,
        Message(
            olgas.id,
            MessageKind.PUBLIC,
            VERA,
            HER_WORDS,
            raw_key="inbound/vera-in-olgas",
            author_name=HER_NAME,
        ),
        [],
    )
    olga_says = Message(
        olgas.id, MessageKind.PUBLIC, "olga@example.com", OLGA_WORDS, raw_key="inbound/olga"
    )
    repository.add_message(olgas, olga_says, [])
    DynamoMailLedger(tickets_table).mark_bouncing(VERA, f"550 {VERA} unknown")
    DynamoMailLedger(tickets_table).take_auto_response(VERA, limit=5, window_seconds=3600)
    DynamoRateCounters(tickets_table).take(
        f"customer:{VERA}", window_start=0, window_seconds=60, limit=10
    )
    boto3.client("dynamodb").put_item(
        TableName=tickets_table,
        Item={"pk": {"S": "#AGENT"}, "sk": {"S": "alice@example.com"}, "unread": {"N": "0"}},
    )
    DynamoNotifications(tickets_table).add(
        Notification(
            agent="alice@example.com",
            kind="customer_reply",
            ticket_id=own.id,
            number=own.number,
            subject=own.subject,
            at=datetime.now(UTC),
            id=new_id(),
        )
    )
    return {
        "repository": repository,
        "archive": DynamoArchive(repository),
        "files": files,
        "raw": S3RawMailStore(RAW_BUCKET),
        "own": own,
        "olgas": olgas,
    }


def everything_stored(table: str) -> str:
    """Every item of the table and every object of the bucket, as one lower-cased text."""
    dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
    items = dynamodb.scan(TableName=table)["Items"]
    bodies = [
        s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read().decode()
        for bucket in (BUCKET, RAW_BUCKET)
        for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    ]
    return (json.dumps(items, ensure_ascii=False) + "\n".join(bodies)).lower()


def test_privacy_export_holds_her_tickets_and_items(world: dict, tickets_table: str) -> None:
    # When Vera's data is exported
    held = export_requester(world["repository"], world["archive"], VERA)
    # Then it has her ticket whole, the one she follows without its notes, and her other items
    roles = {t["ticket"]["id"]: t["role"] for t in held["tickets"]}
    assert roles == {world["own"].id: "requester", world["olgas"].id: "participant"}
    own = next(t for t in held["tickets"] if t["role"] == "requester")
    assert [m["kind"] for m in own["messages"]] == ["public", "public", "public", "internal"]
    assert {i["pk"] for i in held["other_items"]} == {f"ADDR#{VERA}", f"RATE#customer:{VERA}"}


def test_after_erase_no_item_or_object_holds_her_address_or_words(
    world: dict, tickets_table: str
) -> None:
    # Given her address and words are stored
    assert VERA in everything_stored(tickets_table)
    assert HER_WORDS.lower() in everything_stored(tickets_table)
    assert HER_NAME.lower() in everything_stored(tickets_table)
    events_before = len(world["archive"].thread(world["own"].id).events)
    # When she is erased
    erasure = erase_requester(
        world["repository"],
        world["archive"],
        lambda: world["files"],
        VERA,
        actor="agent:admin",
        raw_mail=lambda: world["raw"],
    )
    # Then nothing holds her address or her words
    stored = everything_stored(tickets_table)
    assert VERA not in stored
    assert HER_WORDS.lower() not in stored
    assert HER_NAME.lower() not in stored  # the name her mail gave, on tickets and messages
    # (one attachment and her two raw mails; Olga's raw mail stays)
    assert (erasure.tickets, erasure.files, erasure.notifications) == (2, 3, 1)
    raw_left = boto3.client("s3").list_objects_v2(Bucket=RAW_BUCKET).get("Contents", [])
    assert [o["Key"] for o in raw_left] == ["inbound/olga"]
    assert erasure.items == 3  # the bounce, the auto-response window, the rate counter
    # and the tickets and their audit are kept, without her
    own = world["archive"].thread(world["own"].id)
    assert own.ticket.requester == erasure.alias
    assert own.ticket.subject == "[erased]"
    assert len(own.events) == events_before + 1
    assert "privacy.erased" in [e.action for e in own.events]
    assert [m.text for m in own.messages][-1] == f"Called {erasure.alias} back"
    # and Olga's ticket keeps Olga's words, not Vera
    olgas = world["archive"].thread(world["olgas"].id)
    assert olgas.ticket.participants == frozenset({erasure.alias})
    assert [m.text for m in olgas.messages] == ["Please help.", "[erased]", OLGA_WORDS]
    assert world["repository"].involving(VERA, limit=10).items == []
    # When she is erased again, nothing is left to do
    again = erase_requester(
        world["repository"],
        world["archive"],
        lambda: world["files"],
        VERA,
        actor="agent:admin",
        raw_mail=lambda: world["raw"],
    )
    assert (again.tickets, again.messages, again.files, again.items) == (0, 0, 0, 0)


def test_a_ticket_changed_while_it_is_erased_is_read_again_and_erased(
    world: dict, tickets_table: str
) -> None:
    # Given her ticket changes (routing assigns it) between the erase's read and its rewrite
    archive = world["archive"]
    real_rewrite = archive.rewrite
    changed = {"n": 0}

    def routed_meanwhile(ticket: Any, *args: Any, **kwargs: Any) -> Any:
        if changed["n"] == 0 and ticket.id == world["own"].id:
            changed["n"] += 1
            fresh = world["repository"].get(ticket.id)
            world["repository"].save(
                fresh, [fresh.change(actor="system:routing", reason="r", group="billing")]
            )
        return real_rewrite(ticket, *args, **kwargs)

    archive.rewrite = routed_meanwhile
    # When she is erased
    erasure = erase_requester(
        world["repository"],
        archive,
        lambda: world["files"],
        VERA,
        actor="agent:admin",
        raw_mail=lambda: world["raw"],
    )
    # Then the lost race was read again: both tickets erased, each file counted once, the
    # routing's change kept
    assert changed["n"] == 1
    assert (erasure.tickets, erasure.files) == (2, 3)
    own = archive.thread(world["own"].id).ticket
    assert (own.requester, own.group) == (erasure.alias, "billing")
    assert VERA not in everything_stored(tickets_table)


def test_an_address_that_is_not_one_is_refused_naming_the_field(world: dict) -> None:
    with pytest.raises(ValidationFailed) as refused:
        export_requester(world["repository"], world["archive"], "not-an-address")
    assert refused.value.field == "email"

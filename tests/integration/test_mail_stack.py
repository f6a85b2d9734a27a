"""The mail corpus through the local stack's real SMTP port: SES's path (raw MIME to the rule's
bucket, the intake function with SES's event, DynamoDB, the routing execution, SES sending),
asserting the stored tickets and threads (read from the emulated DynamoDB and S3), the outbox,
the quarantine and its CLI, and that every AWS call intake made is allowed by its policy."""

from __future__ import annotations

import json
import smtplib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from tessera.adapters.dynamodb.tickets import DynamoTicketRepository
from tessera.ports import Thread
from tessera.tickets.model import MessageKind
from tests.localstack import RunningStack, wait_for

pytestmark = pytest.mark.integration

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "mail"


@dataclass
class Emulated:
    """The stack's emulated AWS, read directly: what intake really stored."""

    tickets: DynamoTicketRepository
    s3: Any
    dynamodb: Any
    env: dict[str, str]


@pytest.fixture(scope="module")
def aws(stack: RunningStack) -> Iterator[Emulated]:
    env = json.loads((stack.data_dir / "env.json").read_text(encoding="utf-8"))
    patch = pytest.MonkeyPatch()
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_ENDPOINT_URL",
    ):
        patch.setenv(name, env[name])
    patch.delenv("AWS_SESSION_TOKEN", raising=False)
    patch.delenv("AWS_PROFILE", raising=False)
    yield Emulated(
        DynamoTicketRepository(env["TABLE_NAME"]),
        boto3.client("s3", region_name=env["AWS_REGION"]),
        boto3.client("dynamodb", region_name=env["AWS_REGION"]),
        env,
    )
    patch.undo()


def send(stack: RunningStack, raw: bytes, *, sender: str, to: str = "support@example.com") -> None:
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.sendmail(sender, [to], raw)


def fresh_id(raw: bytes, old: bytes) -> tuple[bytes, str]:
    """The corpus mail with a Message-ID of its own, so each run makes a new ticket."""
    new = f"<{uuid.uuid4().hex}@customer.test>"
    return raw.replace(old, new.encode()), new


def thread_of(aws: Emulated, message_id: str, *, timeout: float = 10) -> Thread:
    ticket_id = wait_for(lambda: aws.tickets.find_by_mail_message_id(message_id), timeout=timeout)
    assert ticket_id, f"{message_id} did not become a ticket"
    return aws.tickets.thread(ticket_id)


def outbox_to(stack: RunningStack, address: str) -> list[dict[str, Any]]:
    status, mails = stack.request("GET", "/_local/outbox")
    assert status == 200
    return [m for m in mails if address in m["to"]]


CASES = [
    # file, its Message-ID, sender, mailbox, subject, language, a phrase of the display text
    (
        "fa_windows1256_outlook.eml",
        b"<AM0PR01MB1234.fa@AM0PR01MB1234.eurprd01.prod.outlook.com>",
        "zhila@customer.test",
        "کسر دوباره از کارت",
        "fa",
        "پرداخت من دوبار",
    ),
    (
        "el_iso88597_apple.eml",
        b"<5F1E2D3C-AAAA-BBBB-CCCC-DDDDEEEEFFFF@customer.test>",
        "nikos@customer.test",
        "Η εφαρμογή δεν ανοίγει",
        "el",
        "δεν ανοίγει μετά",
    ),
    (
        "zh_gb2312_gmail.eml",
        b"<CAF=zh12345+gmail@mail.gmail.com>",
        "wang.wei@customer.test",
        "无法登录",
        "zh",
        "朱镕基路",
    ),
    ("ru_koi8r.eml", b"<ru-0001@customer.test>", "ivan@customer.test", "Сброс пароля", "ru", ""),
    (
        "en_gmail_attachment.eml",
        b"<CAGmail-en-0001@mail.gmail.com>",
        "dana@customer.test",
        "Invoice attached",
        "en",
        "invoice is attached",
    ),
]


@pytest.mark.parametrize(
    ("name", "old_id", "sender", "subject", "language", "phrase"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_corpus_mail_becomes_a_decoded_ticket(
    stack: RunningStack,
    aws: Emulated,
    name: str,
    old_id: bytes,
    sender: str,
    subject: str,
    language: str,
    phrase: str,
) -> None:
    # Given a real-shaped mail, When it arrives on the SMTP port
    raw, message_id = fresh_id((CORPUS / name).read_bytes(), old_id)
    send(stack, raw, sender=sender)

    # Then its ticket holds it decoded, in its language, with its files in the bucket
    thread = thread_of(aws, message_id)
    assert (thread.ticket.subject, thread.ticket.requester) == (subject, sender)
    assert thread.ticket.language == language
    first = thread.messages[0]
    assert phrase in first.text
    for attachment in first.attachments:
        stored = aws.s3.get_object(Bucket=aws.env["ATTACHMENTS_BUCKET"], Key=attachment.key)
        assert stored["ContentLength"] == attachment.size
        assert stored["ContentDisposition"].startswith("attachment;")


def test_hostile_html_is_stored_sanitized(stack: RunningStack, aws: Emulated) -> None:
    raw, message_id = fresh_id(
        (CORPUS / "en_html_hostile.eml").read_bytes(), b"<hostile-0001@attacker.test>"
    )
    send(stack, raw, sender="mallory@attacker.test")
    html = thread_of(aws, message_id).messages[0].html.lower()
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onerror" not in html


def test_persian_mail_is_acknowledged_in_persian_and_answers_thread(
    stack: RunningStack, aws: Emulated
) -> None:
    # Given a Persian mail that became a ticket
    raw, message_id = fresh_id(
        (CORPUS / "fa_windows1256_outlook.eml").read_bytes(),
        b"<AM0PR01MB1234.fa@AM0PR01MB1234.eurprd01.prod.outlook.com>",
    )
    raw = raw.replace(b"zhila@customer.test", b"zhila2@customer.test")
    send(stack, raw, sender="zhila2@customer.test")
    ticket = thread_of(aws, message_id).ticket

    # When the routing workflow acknowledges it
    acks = wait_for(lambda: outbox_to(stack, "zhila2@customer.test"), timeout=20)
    assert acks, "no acknowledgement in the outbox"
    [ack] = acks
    assert f"[#{ticket.number}]" in ack["subject"]
    assert "درخواست شما دریافت شد" in ack["subject"]
    assert ack["headers"]["Auto-Submitted"] == "auto-replied"
    assert "/signin.html#ticket=" in ack["text"]
    assert "[ref:" in ack["text"]

    # Then a reply to it joins the ticket by In-Reply-To
    reply_id = f"<{uuid.uuid4().hex}@customer.test>"
    reply = (
        f"From: zhila2@customer.test\r\nTo: support@example.com\r\nSubject: Re: x\r\n"
        f"Message-ID: {reply_id}\r\nIn-Reply-To: {ack['headers']['Message-ID']}\r\n\r\n"
        "ممنون"
    ).encode()
    send(stack, reply, sender="zhila2@customer.test")
    assert thread_of(aws, reply_id).ticket.id == ticket.id

    # And a forward that kept only the token in its text joins it too
    token_line = next(line for line in ack["text"].splitlines() if line.startswith("[ref:"))
    forward_id = f"<{uuid.uuid4().hex}@other.test>"
    forward = (
        f"From: colleague@other.test\r\nTo: support@example.com\r\nSubject: Fwd: x\r\n"
        f"Message-ID: {forward_id}\r\n\r\n> forwarded\r\n> {token_line}\r\n"
    ).encode()
    send(stack, forward, sender="colleague@other.test")
    assert thread_of(aws, forward_id).ticket.id == ticket.id


@pytest.mark.parametrize(
    ("name", "old_id", "sender"),
    [
        ("outlook_autoreply.eml", b"<oof-0001@customer.test>", "olivia@customer.test"),
        ("list_bulk.eml", b"<news-0001@vendor.test>", "news@vendor.test"),
    ],
)
def test_automated_mail_gets_no_acknowledgement(
    stack: RunningStack, aws: Emulated, name: str, old_id: bytes, sender: str
) -> None:
    raw, message_id = fresh_id((CORPUS / name).read_bytes(), old_id)
    send(stack, raw, sender=sender)
    ticket = thread_of(aws, message_id).ticket
    assert "automated" in ticket.tags

    # The routing workflow ran to its end and recorded why it did not answer
    skipped = wait_for(
        lambda: [
            e for e in aws.tickets.thread(ticket.id).events if e.action == "acknowledgement.skipped"
        ],
        timeout=20,
    )
    assert skipped, "the acknowledge step did not record its decision"
    assert outbox_to(stack, sender) == []


@pytest.mark.parametrize(
    ("header", "tag"),
    [("X-SES-Spam-Verdict: FAIL", "spam"), ("Authentication-Results: x; dmarc=fail", "dmarc-fail")],
)
def test_spam_and_dmarc_verdicts_from_headers_mean_no_acknowledgement(
    stack: RunningStack, aws: Emulated, header: str, tag: str
) -> None:
    message_id = f"<{uuid.uuid4().hex}@customer.test>"
    sender = f"{tag}-{uuid.uuid4().hex[:6]}@customer.test"
    raw = (
        f"From: {sender}\r\nTo: support@example.com\r\nSubject: Cheap pills\r\n"
        f"Message-ID: {message_id}\r\n{header}\r\n\r\nBuy now"
    ).encode()
    send(stack, raw, sender=sender)
    ticket = thread_of(aws, message_id).ticket
    assert tag in ticket.tags
    assert wait_for(
        lambda: any(
            e.action == "acknowledgement.skipped" for e in aws.tickets.thread(ticket.id).events
        ),
        timeout=20,
    )
    assert outbox_to(stack, sender) == []


def test_bounce_of_an_acknowledgement_attaches_and_marks_the_address(
    stack: RunningStack, aws: Emulated
) -> None:
    # Given a ticket acknowledged to an address that turns out not to exist
    message_id = f"<{uuid.uuid4().hex}@customer.test>"
    raw = (
        f"From: gone@customer.test\r\nTo: support@example.com\r\nSubject: Hello\r\n"
        f"Message-ID: {message_id}\r\n\r\nHi"
    ).encode()
    send(stack, raw, sender="gone@customer.test")
    ticket = thread_of(aws, message_id).ticket
    acks = wait_for(lambda: outbox_to(stack, "gone@customer.test"), timeout=20)
    assert acks

    # When the receiving server's delivery report comes back (null sender)
    dsn = (CORPUS / "bounce_dsn.eml").read_bytes()
    dsn, dsn_id = fresh_id(dsn, b"<dsn-0001@mx.customer.test>")
    dsn = dsn.replace(b"{ORIGINAL}", acks[0]["headers"]["Message-ID"].encode())
    send(stack, dsn, sender="")

    # Then it is an internal note on the ticket, and the address is marked bouncing
    thread = thread_of(aws, dsn_id)
    assert thread.ticket.id == ticket.id
    assert thread.messages[-1].kind is MessageKind.INTERNAL
    marked = aws.dynamodb.get_item(
        TableName=aws.env["TABLE_NAME"],
        Key={"pk": {"S": "ADDR#gone@customer.test"}, "sk": {"S": "#BOUNCE"}},
    )
    assert "Item" in marked

    # And admins see it among the bouncing addresses, and unblock it
    admin = stack.login()
    _status, bounced = stack.request("GET", "/api/admin/mail/bounced", token=admin)
    assert "gone@customer.test" in [b["address"] for b in bounced["items"]]
    unblock = {"address": "gone@customer.test"}
    status, _ = stack.request("POST", "/api/admin/mail/bounced/unblock", unblock, token=admin)
    assert status == 200
    _status, bounced = stack.request("GET", "/api/admin/mail/bounced", token=admin)
    assert "gone@customer.test" not in [b["address"] for b in bounced["items"]]
    again = stack.request("POST", "/api/admin/mail/bounced/unblock", unblock, token=admin)
    assert again[0] == 404


def test_virus_is_quarantined_listed_and_reprocessed_by_the_cli(
    stack: RunningStack, aws: Emulated
) -> None:
    # Given a mail SES found a virus in
    message_id = f"<{uuid.uuid4().hex}@customer.test>"
    raw = (
        f"From: infected@customer.test\r\nTo: support@example.com\r\nSubject: Invoice\r\n"
        f"Message-ID: {message_id}\r\nX-SES-Virus-Verdict: FAIL\r\n\r\nopen the attachment"
    ).encode()
    send(stack, raw, sender="infected@customer.test")

    # When an operator lists the quarantine, it is there with its reason
    def listed() -> str | None:
        result = stack.cli("mail", "quarantined")
        assert result.returncode == 0, result.stderr
        return next((x for x in result.stdout.splitlines() if "virus verdict" in x), None)

    line = wait_for(listed, timeout=15, interval=1)
    assert line, "the virus mail was not quarantined"
    key = line.split()[1]
    assert aws.tickets.find_by_mail_message_id(message_id) is None

    # And after review, reprocessing it makes the ticket and clears the quarantine
    result = stack.cli("mail", "reprocess", key)
    assert result.returncode == 0, result.stderr
    assert f"{key}: created" in result.stdout
    assert thread_of(aws, message_id).ticket.requester == "infected@customer.test"
    assert key not in stack.cli("mail", "quarantined").stdout


def test_every_call_intake_made_is_allowed_by_its_policy(stack: RunningStack) -> None:
    # Given the traffic of this module (attachments, verdicts, bounces, notices, threading)
    status, report = stack.request("GET", "/_local/iam")
    assert status == 200
    actions = {c["action"] for c in report["calls"] if c["function"] == "IntakeFunction"}

    # Then intake used its new permissions, and no call of any function was denied
    assert {"s3:PutObject", "dynamodb:PutItem", "dynamodb:Query"} <= actions
    assert report["denied"] == []

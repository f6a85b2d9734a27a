"""Outbound mail: agent replies thread, carry the token, both parts and attachments, go out as
the ticket's mailbox, are retried, and a failure lands on the ticket."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest

from tessera.mail import intake, outbound
from tessera.tickets.model import Attachment
from tests.fakes import World

MAILBOXES = """
mailboxes:
  - address: billing@example.com
    brand: Example Billing
    group: billing
"""


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "RETRY_PAUSES", (0.0, 0.0))


def ticket_from_mail(world: World) -> str:
    raw = (
        b"From: Dana <dana@customer.test>\r\nTo: billing@example.com\r\n"
        b"Cc: boss@customer.test\r\nSubject: Refund\r\nMessage-ID: <first@customer.test>\r\n"
        b"\r\nPlease refund."
    )
    world.raw_mail.objects["inbound/a"] = raw
    outcome = intake.receive_mail(
        world.deps, key="inbound/a", ses_message_id="a", recipients=["billing@example.com"]
    )
    assert outcome.ticket_id is not None
    return outcome.ticket_id


def sent_message(world: World, index: int = -1) -> EmailMessage:
    message = message_from_bytes(world.mailer.sent[index]["raw"], policy=default)
    assert isinstance(message, EmailMessage)
    return message


def test_agent_reply_threads_carries_token_parts_and_attachments() -> None:
    # Given a ticket from billing@ with a participant, and a file an agent uploaded
    world = World()
    world.apply_config("mailboxes", MAILBOXES)
    ticket_id = ticket_from_mail(world)
    world.attachments.put(
        "api/refund.pdf", b"%PDF-1.4 x", content_type="application/pdf", filename="refund.pdf"
    )
    file = Attachment("api/refund.pdf", "refund.pdf", "application/pdf", 10)

    # When the agent replies
    result = outbound.send_reply(
        world.deps,
        ticket_id,
        author="alice@example.com",
        text="Refund done.",
        html="<p>Refund <b>done</b>.</p><script>x()</script>",
        attachments=[file],
    )

    # Then the mail threads, carries the token, both parts, the file, and speaks for billing
    assert result.sent
    message = sent_message(world)
    assert message["From"] == "Example Billing <billing@example.com>"
    assert message["Reply-To"] == "billing@example.com"
    assert message["To"] == "dana@customer.test"
    assert message["Cc"] == "boss@customer.test"
    assert message["In-Reply-To"] == "<first@customer.test>"
    assert "<first@customer.test>" in message["References"]
    assert message["Subject"].startswith("[#1001] Re: Refund")
    token = message["X-Tessera-Thread"]
    assert outbound.ticket_of_token(world.deps, f"[ref:{token}]") == ticket_id
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert f"[ref:{token}]" in text.get_content()
    assert "<b>done</b>" in html.get_content()
    assert "<script" not in html.get_content()
    [attached] = list(message.iter_attachments())
    assert (attached.get_filename(), attached.get_content()) == ("refund.pdf", b"%PDF-1.4 x")

    # And the reply is in the thread under the Message-ID it went out with
    stored = world.tickets.thread(ticket_id).messages[-1]
    assert stored.mail_message_id == message["Message-ID"]
    assert stored.attachments == (file,)


def test_a_customer_answer_to_the_agent_reply_joins_the_ticket() -> None:
    world = World()
    ticket_id = ticket_from_mail(world)
    outbound.send_reply(world.deps, ticket_id, author="alice@example.com", text="Done.")
    reply_id = sent_message(world)["Message-ID"]
    raw = (
        f"From: dana@customer.test\r\nTo: billing@example.com\r\nSubject: Re: Refund\r\n"
        f"Message-ID: <second@customer.test>\r\nIn-Reply-To: {reply_id}\r\n\r\nThanks!"
    ).encode()
    world.raw_mail.objects["inbound/b"] = raw
    outcome = intake.receive_mail(world.deps, key="inbound/b", ses_message_id="b", recipients=[])
    assert (outcome.result, outcome.ticket_id) == ("reply", ticket_id)


def test_sending_is_retried() -> None:
    world = World()
    ticket_id = ticket_from_mail(world)
    world.mailer.failures_to_come = 2
    result = outbound.send_reply(world.deps, ticket_id, author="alice@example.com", text="Hi")
    assert result.sent
    assert len(world.mailer.sent) == 1


def test_a_failure_after_retries_is_recorded_and_the_reply_kept() -> None:
    # Given SES failing three times in a row
    world = World()
    ticket_id = ticket_from_mail(world)
    world.mailer.failures_to_come = 3

    # When the agent replies
    result = outbound.send_reply(world.deps, ticket_id, author="alice@example.com", text="Hi")

    # Then nothing went out, the reply is kept, and the failure is on the audit trail
    assert (result.sent, world.mailer.sent) == (False, [])
    assert result.error == "ConnectionError: SES is unreachable"
    thread = world.tickets.thread(ticket_id)
    assert thread.messages[-1].text == "Hi"
    assert thread.events[-1].action == "mail.failed"
    assert "SES is unreachable" in thread.events[-1].reason

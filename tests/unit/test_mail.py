"""Parsing inbound mail (the foundation's part: headers, bodies, threading ids, sanitizing)."""

from __future__ import annotations

import pytest

from tessera.mail import parse as mail


def raw(headers: str, body: str = "Hello") -> bytes:
    return (headers.strip().replace("\n", "\r\n") + "\r\n\r\n" + body).encode()


def test_plain_mail_gives_sender_subject_text_and_ids() -> None:
    parsed = mail.parse(
        raw(
            """
From: Dana <Dana@Customer.TEST>
To: support@example.com, other@customer.test
Cc: boss@customer.test
Subject: Locked   out
Message-ID: <abc@customer.test>
In-Reply-To: <prev@example.com>
References: <root@example.com> <prev@example.com>
"""
        )
    )
    assert parsed.sender == "dana@customer.test"
    assert parsed.sender_name == "Dana"
    assert parsed.subject == "Locked out"
    assert parsed.to == ("support@example.com", "other@customer.test")
    assert parsed.cc == ("boss@customer.test",)
    assert parsed.message_id == "<abc@customer.test>"
    assert parsed.thread_ids == ("<prev@example.com>", "<root@example.com>")
    assert parsed.text == "Hello"


def test_encoded_subject_and_non_utf8_body_are_decoded() -> None:
    body = "Καλησπέρα".encode("iso-8859-7")
    message = (
        raw(
            """
From: nikos@customer.test
Subject: =?utf-8?b?zpTOuc+AzrvOriDPh8+Bzq3Pic+Dzrc=?=
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-7
Content-Transfer-Encoding: 8bit
""",
            "",
        )
        + body
    )
    parsed = mail.parse(message)
    assert parsed.subject == "Διπλή χρέωση"
    assert parsed.text == "Καλησπέρα"


def test_html_only_mail_is_sanitized_and_gets_a_text_version() -> None:
    message = raw(
        """
From: x@customer.test
Subject: html
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8
""",
        '<p onclick="steal()">Hi <b>there</b></p><script>alert(1)</script>'
        '<a href="http://x.test">link</a>',
    )
    parsed = mail.parse(message)
    assert "<script" not in parsed.html
    assert "onclick" not in parsed.html
    assert "<b>there</b>" in parsed.html
    assert 'rel="noopener noreferrer nofollow"' in parsed.html
    assert parsed.text.startswith("Hi there")


@pytest.mark.parametrize(
    "message",
    [b"", b"   \r\n", raw("Subject: no sender"), raw("From: not an address\nSubject: x")],
)
def test_mail_without_a_usable_sender_is_unreadable(message: bytes) -> None:
    with pytest.raises(mail.UnreadableMail):
        mail.parse(message)


def test_missing_message_id_is_none() -> None:
    assert mail.parse(raw("From: a@b.test\nSubject: s")).message_id is None


def test_a_charset_name_with_a_nul_byte_is_an_unknown_charset() -> None:
    # Given a mail whose declared charset holds a NUL byte (found by the mutation property test)
    raw = (
        b"From: carol@customer.test\r\nTo: support@example.com\r\nSubject: hi\r\n"
        b'Content-Type: text/plain; charset="utf\x00-8"\r\n\r\nhello'
    )
    # When it is parsed
    parsed = mail.parse(raw)
    # Then the body is decoded with a fallback, not a parser crash
    assert parsed.text.strip() == "hello"

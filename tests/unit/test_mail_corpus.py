"""The mail corpus (tests/corpus/mail) parsed: charsets, encodings, shapes of real clients,
attachments, quoted history, hostile HTML, broken MIME."""

from __future__ import annotations

from pathlib import Path

import pytest

from tessera.mail import language, loops
from tessera.mail import parse as mail

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "mail"
SUPPORT = frozenset({"support@example.com", "billing@example.com"})


def parsed(name: str) -> mail.ParsedMail:
    return mail.parse((CORPUS / name).read_bytes())


@pytest.mark.parametrize(
    ("name", "sender", "sender_name", "subject", "display", "lang"),
    [
        (
            "fa_windows1256_outlook.eml",
            "zhila@customer.test",
            "ژيلا احمدي",
            "کسر دوباره از کارت",
            "پرداخت من دوبار از کارت کسر شده است. لطفاً بررسي کنيد.",
            "fa",
        ),
        (
            "el_iso88597_apple.eml",
            "nikos@customer.test",
            "Νίκος Παπαδόπουλος",
            "Η εφαρμογή δεν ανοίγει",
            "η εφαρμογή δεν ανοίγει μετά την ενημέρωση.",
            "el",
        ),
        (
            "zh_gb2312_gmail.eml",
            "wang.wei@customer.test",
            "王伟",
            "无法登录",
            "我的账户无法登录，朱镕基路的地址也错了。请帮忙。",
            "zh",
        ),
        (
            "ja_shift_jis.eml",
            "yamada@customer.test",
            "山田太郎",
            "請求書について",
            "請求書が届いていません。",
            "ja",
        ),
        ("ru_koi8r.eml", "ivan@customer.test", "Ivan", "Сброс пароля", "сброса пароля", "ru"),
        (
            "en_gmail_attachment.eml",
            "dana@customer.test",
            "Dana Customer",
            "Invoice attached",
            "Hi, the invoice is attached.",
            "en",
        ),
    ],
)
def test_every_charset_and_client_shape_decodes(
    name: str, sender: str, sender_name: str, subject: str, display: str, lang: str
) -> None:
    # Given a mail of the corpus, When it is parsed
    result = parsed(name)

    # Then the sender, the subject and the new text read as written, in the language written
    assert (result.sender, result.sender_name, result.subject) == (sender, sender_name, subject)
    assert display in result.display_text
    assert "\ufffd" not in result.text + result.subject
    assert language.detect(f"{result.subject}\n{result.display_text}") == lang
    assert loops.classify(result, SUPPORT) is None


@pytest.mark.parametrize(
    ("name", "history"),
    [
        ("fa_windows1256_outlook.eml", "-----Original Message-----"),
        ("el_iso88597_apple.eml", "Πώς μπορούμε να βοηθήσουμε;"),
        ("zh_gb2312_gmail.eml", "请问有什么可以帮您？"),
        ("en_gmail_attachment.eml", "What seems to be the problem?"),
    ],
)
def test_quoted_history_and_signature_are_stripped_for_display_but_kept(
    name: str, history: str
) -> None:
    result = parsed(name)
    assert history in result.text
    assert history not in result.display_text
    assert "ACME Corp" not in result.display_text  # the signature, where there is one


def test_attachment_keeps_its_rfc2231_name_type_and_bytes() -> None:
    result = parsed("en_gmail_attachment.eml")
    [pdf] = result.attachments
    assert (pdf.filename, pdf.content_type, pdf.inline) == ("résumé.pdf", "application/pdf", False)
    assert pdf.data.startswith(b"%PDF-1.4")
    assert result.cc == ("boss@customer.test",)


def test_inline_image_keeps_its_content_id_and_the_html_its_cid_reference() -> None:
    result = parsed("el_iso88597_apple.eml")
    [image] = result.attachments
    assert (image.filename, image.content_type, image.inline) == (
        "screenshot.png",
        "image/png",
        True,
    )
    assert image.content_id == "E1A2B3C4@apple.mail"
    assert image.data.startswith(b"\x89PNG")
    assert 'src="cid:E1A2B3C4@apple.mail"' in result.html


def test_hostile_html_is_defused_and_still_readable() -> None:
    result = parsed("en_html_hostile.eml")
    lowered = result.html.lower()
    for danger in ("<script", "onclick", "onerror", "onload", "javascript:", "<svg", "<iframe"):
        assert danger not in lowered, danger
    assert "data:image" not in lowered
    assert 'href="https://example.org/ok"' in result.html
    assert "Hello agent" in result.text
    assert "alert" not in result.text


def test_broken_mime_is_read_best_effort() -> None:
    # Given a mail with no close boundary, broken base64, unknown charsets and bad bytes
    result = parsed("malformed_boundary.eml")

    # Then every readable piece is there, and the broken ones are kept as they came
    assert result.sender == "broken@customer.test"
    assert result.subject.startswith("Hello and ")
    assert "Café is closed" in result.text
    assert "the last part never ends" in result.text
    assert [a.filename for a in result.attachments] == ["blob.bin"]
    assert result.defects


def test_out_of_office_list_mail_and_bounce_are_recognised() -> None:
    assert loops.classify(parsed("outlook_autoreply.eml"), SUPPORT) == loops.Automated(
        "auto-reply", "Auto-Submitted: auto-replied"
    )
    bulk = loops.classify(parsed("list_bulk.eml"), SUPPORT)
    assert bulk is not None
    assert bulk.kind == "bulk"
    bounce = parsed("bounce_dsn.eml")
    assert loops.classify(bounce, SUPPORT) == loops.Automated(
        "bounce", "a delivery status report (multipart/report)"
    )
    assert bounce.report is not None
    assert (bounce.report.failed_recipients, bounce.report.status) == (
        ("gone@customer.test",),
        "5.1.1",
    )

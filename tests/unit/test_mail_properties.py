"""Properties of intake on generated and mutated MIME: it never raises past its boundary and
never loses a mail (every delivery ends as a ticket, a reply or a quarantine record)."""

from __future__ import annotations

import base64
import quopri
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tessera.mail import intake
from tessera.mail import parse as mail
from tests.fakes import World

CORPUS = sorted((Path(__file__).resolve().parents[1] / "corpus" / "mail").glob("*.eml"))
CHARSETS = ["utf-8", "windows-1256", "iso-8859-7", "koi8-r", "gb2312", "shift_jis", "bogus-cs"]
ENCODINGS = ["7bit", "8bit", "base64", "quoted-printable", "x-uuencode"]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def encode_body(text: str, charset: str, cte: str) -> bytes:
    try:
        data = text.encode(charset, "replace")
    except LookupError:
        data = text.encode("utf-8")
    if cte == "base64":
        return base64.encodebytes(data)
    if cte == "quoted-printable":
        return quopri.encodestring(data)
    return data


@st.composite
def mime(draw: st.DrawFn) -> bytes:
    """A mail shaped like real ones, with random names, charsets, encodings and parts."""
    charset = draw(st.sampled_from(CHARSETS))
    cte = draw(st.sampled_from(ENCODINGS))
    name = draw(st.text(max_size=20))
    local = draw(st.from_regex(r"[a-z0-9._+-]{1,12}", fullmatch=True))
    subject = draw(st.text(max_size=60))
    body = draw(st.text(max_size=300))
    html = draw(st.booleans())
    attachment = draw(st.one_of(st.none(), st.binary(max_size=200)))
    extra = draw(
        st.lists(
            st.sampled_from(
                [
                    "Auto-Submitted: auto-replied",
                    "Precedence: bulk",
                    "List-Id: <x.test>",
                    "In-Reply-To: <m0@customer.test>",
                    "References: <m0@customer.test> <nope>",
                    "Cc: a@b.test, =?utf-8?q?broken",
                    "Return-Path: <>",
                    "Content-Disposition: attachment",
                    "Subject: [#1001] second subject",
                ]
            ),
            max_size=3,
        )
    )
    message_id = draw(st.one_of(st.none(), st.from_regex(r"<[a-z0-9]{1,10}@[a-z]{1,5}\.test>")))
    subject_header = "=?{}?b?{}?=".format(
        charset, base64.b64encode(subject.encode("utf-8")).decode()
    )
    head = [
        f"From: {name} <{local}@customer.test>".encode("utf-8", "surrogatepass"),
        b"To: support@example.com",
        f"Subject: {subject_header}".encode(),
        *(line.encode() for line in extra),
    ]
    if message_id:
        head.append(f"Message-ID: {message_id}".encode())
    part = (
        f"Content-Type: text/{'html' if html else 'plain'}; charset={charset}\r\n"
        f"Content-Transfer-Encoding: {cte}\r\n\r\n"
    ).encode() + encode_body(body, charset, cte)
    if attachment is None:
        return b"\r\n".join(head) + b"\r\nMIME-Version: 1.0\r\n" + part
    blob = base64.encodebytes(attachment)
    return (
        b"\r\n".join(head)
        + b'\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
        + part
        + b'\r\n--b1\r\nContent-Type: application/octet-stream; name="f.bin"\r\n'
        + b"Content-Transfer-Encoding: base64\r\n\r\n"
        + blob
        + b"\r\n--b1--\r\n"
    )


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A generated or corpus mail with bytes overwritten, cut, duplicated or inserted."""
    source = draw(st.one_of(mime(), st.sampled_from(CORPUS).map(Path.read_bytes)))
    data = bytearray(source)
    for _ in range(draw(st.integers(0, 8))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert", "truncate", "dup"]))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 40))]
        elif action == "insert":
            data[at:at] = draw(st.sampled_from([b"\r\n", b"--b1", b"=?", b"\x00", b"\xff", b":"]))
        elif action == "dup":
            data[at:at] = data[at : at + draw(st.integers(1, 80))]
        else:
            del data[at:]
    return bytes(data)


def assert_accounted_for(world: World, key: str, outcome: intake.MailOutcome) -> None:
    """The mail ended as a ticket or reply that holds it, or as a quarantine record."""
    assert outcome.result in {"created", "reply", "duplicate", "quarantined"}
    if outcome.result == "quarantined":
        assert key in {q.key for q in world.tickets.quarantined(limit=1000)}
    else:
        assert outcome.ticket_id is not None
        world.tickets.get(outcome.ticket_id)


def run_intake(raw: bytes) -> None:
    world = World()
    # A ticket to reply to, so threading paths are exercised as well
    world.raw_mail.objects["inbound/seed"] = (
        b"From: seed@customer.test\r\nTo: support@example.com\r\nSubject: seed\r\n"
        b"Message-ID: <m0@customer.test>\r\n\r\nseed"
    )
    intake.receive_mail(world.deps, key="inbound/seed", ses_message_id="seed", recipients=[])
    world.raw_mail.objects["inbound/x"] = raw
    outcome = intake.receive_mail(
        world.deps, key="inbound/x", ses_message_id="x", recipients=["support@example.com"]
    )
    assert_accounted_for(world, "inbound/x", outcome)
    assert not outcome.reason.startswith("parser failed"), outcome.reason  # the net is for bugs
    again = intake.receive_mail(
        world.deps, key="inbound/x", ses_message_id="x", recipients=["support@example.com"]
    )
    if outcome.result in {"created", "reply"}:
        assert (again.result, again.ticket_id) == ("duplicate", outcome.ticket_id)


@SETTINGS
@given(mime())
def test_generated_mail_is_never_lost(raw: bytes) -> None:
    run_intake(raw)


@SETTINGS
@given(mutated())
def test_mutated_mail_is_never_lost(raw: bytes) -> None:
    run_intake(raw)


@SETTINGS
@given(st.binary(max_size=2000))
def test_parse_raises_nothing_but_unreadable_mail(raw: bytes) -> None:
    try:
        parsed = mail.parse(raw)
    except mail.UnreadableMail:
        return
    assert "@" in parsed.sender
    assert "<script" not in parsed.html.lower()

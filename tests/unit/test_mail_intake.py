"""Intake against fakes: threading, tokens, loops, bounces, verdicts, filters, limits, faults."""

from __future__ import annotations

from pathlib import Path

import pytest

from tessera.identity.tokens import Signer
from tessera.mail import acknowledge, intake
from tessera.mail.intake import Verdicts
from tessera.tickets.model import MessageKind, Status
from tests.fakes import World

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "mail"


def mail(
    subject: str = "Help",
    *,
    sender: str = "dana@customer.test",
    to: str = "support@example.com",
    extra: str = "",
    message_id: str | None = "<m1@customer.test>",
    body: str = "Please help.",
) -> bytes:
    headers = f"From: Dana <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
    if message_id:
        headers += f"Message-ID: {message_id}\r\n"
    return (headers + extra + "\r\n" + body).encode()


def deliver(
    world: World,
    raw: bytes,
    ses_id: str = "ses-1",
    to: str = "support@example.com",
    verdicts: Verdicts | None = None,
) -> intake.MailOutcome:
    world.raw_mail.objects[f"inbound/{ses_id}"] = raw
    return intake.receive_mail(
        world.deps,
        key=f"inbound/{ses_id}",
        ses_message_id=ses_id,
        recipients=[to],
        verdicts=verdicts,
    )


def opened(world: World) -> tuple[str, int]:
    outcome = deliver(world, mail())
    assert outcome.result == "created"
    assert outcome.ticket_id is not None
    assert outcome.number is not None
    return outcome.ticket_id, outcome.number


# ----------------------------------------------------------------------------- threading


def test_reply_to_our_acknowledgement_joins_by_in_reply_to() -> None:
    # Given a ticket whose acknowledgement went out
    world = World()
    ticket_id, _ = opened(world)
    acknowledge.acknowledge(world.deps, ticket_id)
    ack_id = world.mailer.sent[0]["headers"]["Message-ID"]

    # When the customer answers it
    outcome = deliver(
        world, mail("Re: x", message_id="<m2@c.test>", extra=f"In-Reply-To: {ack_id}\r\n"), "s2"
    )

    # Then the answer is on the ticket
    assert (outcome.result, outcome.ticket_id) == ("reply", ticket_id)


def test_forwarded_mail_without_headers_threads_by_the_signed_token() -> None:
    # Given an acknowledgement carrying the thread token in its text
    world = World()
    ticket_id, _ = opened(world)
    acknowledge.acknowledge(world.deps, ticket_id)
    ack_text = world.mailer.sent[0]["text"]
    assert "[ref:" in ack_text

    # When a colleague forwards it back with no threading headers and another subject
    forwarded = mail(
        "Fwd: something",
        sender="colleague@customer.test",
        message_id="<fwd@c.test>",
        body=f"See below\r\n\r\n---------- Forwarded message ---------\r\n{ack_text}",
    )
    outcome = deliver(world, forwarded, "s2")

    # Then it joins the ticket
    assert (outcome.result, outcome.ticket_id) == ("reply", ticket_id)


def test_a_token_signed_with_another_key_does_not_thread() -> None:
    world = World()
    ticket_id, _ = opened(world)
    forged = Signer(b"somebody-elses-key-of-32-bytes-or-more").sign(
        "mail-thread", ticket_id, ttl_seconds=600
    )
    outcome = deliver(world, mail("x", message_id="<f@c.test>", body=f"[ref:{forged}]"), "s2")
    assert outcome.result == "created"
    assert outcome.ticket_id != ticket_id


def test_subject_number_threads_only_for_the_requester_and_participants() -> None:
    # Given ticket #1001 of dana, with boss in Cc
    world = World()
    first = deliver(world, mail(extra="Cc: boss@customer.test\r\n"))
    assert first.number == 1001

    # When dana, boss and a stranger each write with [#1001] in the subject
    by_requester = deliver(world, mail("Re: [#1001] Help", message_id="<a@c.test>"), "s2")
    by_participant = deliver(
        world, mail("[#1001] me too", sender="boss@customer.test", message_id="<b@c.test>"), "s3"
    )
    by_stranger = deliver(
        world, mail("[#1001] let me in", sender="eve@evil.test", message_id="<c@e.test>"), "s4"
    )

    # Then only the first two join it; the stranger gets a ticket of their own
    assert (by_requester.result, by_requester.ticket_id) == ("reply", first.ticket_id)
    assert (by_participant.result, by_participant.ticket_id) == ("reply", first.ticket_id)
    assert by_stranger.result == "created"
    assert by_stranger.ticket_id != first.ticket_id


def test_reply_to_a_closed_ticket_opens_a_new_one() -> None:
    world = World()
    ticket_id, _ = opened(world)
    ticket = world.tickets.get(ticket_id)
    world.tickets.save(ticket, [ticket.change(actor="agent:a", reason="t", status="closed")])
    outcome = deliver(
        world, mail(message_id="<m2@c.test>", extra="In-Reply-To: <m1@customer.test>\r\n"), "s2"
    )
    assert outcome.result == "created"
    assert outcome.ticket_id != ticket_id


def test_mailbox_is_found_in_bcc_envelope_or_delivered_to() -> None:
    world = World()
    raw = mail(to="someone@customer.test", extra="Delivered-To: billing@example.com\r\n")
    world.raw_mail.objects["inbound/x"] = raw
    outcome = intake.receive_mail(world.deps, key="inbound/x", ses_message_id="x", recipients=[])
    assert world.tickets.get(outcome.ticket_id or "").mailbox == "billing@example.com"


# ------------------------------------------------------------------ loops and auto-replies


@pytest.mark.parametrize(
    "extra",
    [
        "Auto-Submitted: auto-replied\r\n",
        "Precedence: bulk\r\n",
        "Precedence: junk\r\n",
        "X-Autoreply: yes\r\n",
        "X-Auto-Response-Suppress: All\r\n",
        "List-Id: <news.vendor.test>\r\n",
        "List-Unsubscribe: <mailto:u@vendor.test>\r\n",
    ],
)
def test_automated_mail_makes_a_ticket_but_is_never_acknowledged(extra: str) -> None:
    world = World()
    outcome = deliver(world, mail(extra=extra))
    assert outcome.result == "created"
    result = acknowledge.acknowledge(world.deps, outcome.ticket_id or "")
    assert result["sent"] is False
    assert world.mailer.sent == []
    assert "automated" in world.tickets.get(outcome.ticket_id or "").tags


@pytest.mark.parametrize(
    ("sender", "extra"),
    [
        ("mailer-daemon@mx.customer.test", ""),
        ("postmaster@customer.test", ""),
        ("dana@customer.test", "Return-Path: <>\r\n"),
    ],
)
def test_bounce_shaped_mail_without_a_known_original_is_quarantined(
    sender: str, extra: str
) -> None:
    world = World()
    outcome = deliver(world, mail(sender=sender, extra=extra))
    assert outcome.result == "quarantined"
    assert "bounce" in outcome.reason
    assert world.mailer.sent == []


def test_mail_from_our_own_address_is_a_loop_and_quarantined() -> None:
    world = World()
    outcome = deliver(world, mail(sender="support@example.com"))
    assert outcome.result == "quarantined"
    assert outcome.reason.startswith("mail loop")
    assert world.tickets.recent(limit=5).items == []


def test_bounce_marks_the_address_and_attaches_to_the_ticket_it_answers() -> None:
    # Given a ticket whose acknowledgement bounced
    world = World()
    ticket_id, _ = opened(world)
    acknowledge.acknowledge(world.deps, ticket_id)
    ack_id = world.mailer.sent[0]["headers"]["Message-ID"]
    dsn = (CORPUS / "bounce_dsn.eml").read_bytes().replace(b"{ORIGINAL}", ack_id.encode())

    # When the delivery report arrives
    outcome = deliver(world, dsn, "s2")

    # Then it is an internal note on that ticket and the address is marked bouncing
    assert (outcome.result, outcome.ticket_id, outcome.reason) == ("reply", ticket_id, "bounce")
    thread = world.tickets.thread(ticket_id)
    assert thread.messages[-1].kind is MessageKind.INTERNAL
    assert thread.events[-1].action == "mail.bounced"
    assert world.mail_ledger.is_bouncing("gone@customer.test")


def test_no_automatic_mail_goes_to_a_bouncing_address() -> None:
    world = World()
    world.mail_ledger.mark_bouncing("dana@customer.test", "5.1.1")
    ticket_id, _ = opened(world)
    result = acknowledge.acknowledge(world.deps, ticket_id)
    assert result["sent"] is False
    assert world.mailer.sent == []
    assert world.tickets.thread(ticket_id).events[-1].action == "acknowledgement.skipped"


def test_per_sender_cap_stops_acknowledgements_after_the_limit() -> None:
    # Given a cap of 2 automatic responses per sender
    world = World()
    world.apply_config("mail-filters", "limits:\n  auto_responses_per_sender: 2\n")

    # When one sender opens three tickets
    for n in range(3):
        outcome = deliver(world, mail(f"t{n}", message_id=f"<cap{n}@c.test>"), f"s{n}")
        acknowledge.acknowledge(world.deps, outcome.ticket_id or "")

    # Then only two acknowledgements went out
    assert len(world.mailer.sent) == 2


# ------------------------------------------------------------------------- spam and abuse


def test_virus_verdict_quarantines_and_makes_nothing() -> None:
    world = World()
    outcome = deliver(world, mail(), verdicts=Verdicts(virus="FAIL"))
    assert outcome.result == "quarantined"
    assert [q.key for q in world.tickets.quarantined(limit=5)] == ["inbound/ses-1"]
    assert world.tickets.recent(limit=5).items == []


@pytest.mark.parametrize(
    ("verdicts", "tag"),
    [(Verdicts(spam="FAIL"), "spam"), (Verdicts(dmarc="FAIL"), "dmarc-fail")],
)
def test_spam_or_dmarc_fail_makes_a_ticket_without_acknowledgement(
    verdicts: Verdicts, tag: str
) -> None:
    world = World()
    outcome = deliver(world, mail(), verdicts=verdicts)
    ticket = world.tickets.get(outcome.ticket_id or "")
    assert tag in ticket.tags
    assert acknowledge.acknowledge(world.deps, ticket.id)["sent"] is False
    assert world.mailer.sent == []


FILTERS = """
filters:
  - name: spammer
    sender_domain: spam.test
    action: discard
  - name: flagged
    keywords: [crypto offer]
    action: spam
  - name: invoices
    keywords: [invoice]
    action: route
    group: finance
"""


def test_admin_filters_discard_mark_spam_and_route() -> None:
    world = World()
    world.apply_config("mail-filters", FILTERS)
    discarded = deliver(world, mail(sender="x@mx.spam.test", message_id="<1@s.test>"), "s1")
    spam = deliver(world, mail("A CRYPTO OFFER", message_id="<2@c.test>"), "s2")
    routed = deliver(world, mail("Invoice 42", message_id="<3@c.test>"), "s3")

    assert (discarded.result, discarded.reason) == (
        "quarantined",
        "discarded by mail filter spammer",
    )
    assert "spam" in world.tickets.get(spam.ticket_id or "").tags
    routed_ticket = world.tickets.get(routed.ticket_id or "")
    assert routed_ticket.group == "finance"
    actors = [e.actor for e in world.tickets.thread(routed_ticket.id).events]
    assert "filter:invoices" in actors


def test_open_ticket_limit_sends_a_polite_notice_and_keeps_the_mail() -> None:
    # Given a limit of 2 open tickets per requester
    world = World()
    world.apply_config("mail-filters", "limits:\n  open_tickets_per_requester: 2\n")
    for n in range(2):
        assert deliver(world, mail(f"t{n}", message_id=f"<o{n}@c.test>"), f"s{n}").number

    # When the requester writes a third new mail
    outcome = deliver(world, mail("third", message_id="<o3@c.test>"), "s3")

    # Then no ticket is opened, a notice goes out, and the mail waits in quarantine
    assert outcome.result == "quarantined"
    assert len(world.tickets.recent(limit=10).items) == 2
    [notice] = world.mailer.sent
    assert notice["to"] == ["dana@customer.test"]
    assert notice["headers"]["Auto-Submitted"] == "auto-replied"
    assert "2 open requests" in notice["text"]


def test_oversized_mail_is_refused_with_a_notice_and_kept() -> None:
    world = World()
    world.apply_config("mail-filters", "limits:\n  max_mail_bytes: 2000\n")
    outcome = deliver(world, mail(body="x" * 5000))
    assert outcome.result == "quarantined"
    assert outcome.reason.startswith("oversized")
    assert world.mailer.sent[0]["headers"]["Auto-Submitted"] == "auto-replied"
    # A limit under 1 MB is told in KB, never as "the 0 MB we accept".
    assert "larger than the 2 KB we accept" in world.mailer.sent[0]["text"]
    assert world.raw_mail.objects["inbound/ses-1"]  # the raw mail is never deleted


@pytest.mark.parametrize(
    ("size", "language", "said"),
    [
        (500, "en", "500 bytes"),
        (2000, "en", "2 KB"),
        (10 * 1024 * 1024, "en", "10 MB"),
        (int(1.5 * 1024 * 1024), "el", "1.5 MB"),
        (2000, "fa", "2 کیلوبایت"),
    ],
)
def test_sizes_in_notices_are_said_in_the_unit_that_fits(
    size: int, language: str, said: str
) -> None:
    from tessera.mail import templates

    assert templates.size_text(size, language) == said


def test_mail_filters_config_is_refused_with_file_line_and_key() -> None:
    from tessera import config
    from tessera.config import kinds

    with pytest.raises(config.ConfigError) as refused:
        kinds.validate(
            "mail-filters", "filters:\n  - name: x\n    action: route\n    sender: a@b.c\n"
        )
    assert str(refused.value) == "mail-filters.yaml:2: filters[0]: action route needs a group"
    with pytest.raises(config.ConfigError) as unknown:
        kinds.validate("mail-filters", "limits:\n  max_bytes: 3\n")
    assert "mail-filters.yaml:2: limits.max_bytes: unknown key" in str(unknown.value)


# ------------------------------------------------------------------- attachments, language


def test_attachments_go_to_the_store_and_onto_the_message() -> None:
    world = World()
    raw = (CORPUS / "el_iso88597_apple.eml").read_bytes()
    outcome = deliver(world, raw)
    ticket = world.tickets.thread(outcome.ticket_id or "")
    [attachment] = ticket.messages[0].attachments
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "screenshot.png",
        "image/png",
        70,
    )
    assert attachment.content_id == "E1A2B3C4@apple.mail"
    assert world.attachments.get(attachment.key).startswith(b"\x89PNG")
    assert ticket.ticket.language == "el"


@pytest.mark.parametrize(
    ("name", "lang", "phrase"),
    [
        ("fa_windows1256_outlook.eml", "fa", "درخواست شما دریافت شد"),
        ("el_iso88597_apple.eml", "el", "Λάβαμε το αίτημά σας"),
        ("en_gmail_attachment.eml", "en", "We received your request"),
    ],
)
def test_acknowledgement_speaks_the_language_of_the_mail(name: str, lang: str, phrase: str) -> None:
    # Given a mail in a language
    world = World()
    outcome = deliver(world, (CORPUS / name).read_bytes(), to="billing@example.com")

    # When it is acknowledged
    result = acknowledge.acknowledge(world.deps, outcome.ticket_id or "")

    # Then the acknowledgement is in that language, numbered, tokened, linked and auto-submitted
    assert (result["sent"], result["language"]) == (True, lang)
    [sent] = world.mailer.sent
    assert phrase in sent["subject"]
    assert f"[#{outcome.number}]" in sent["subject"]
    assert "[ref:" in sent["text"]
    assert "https://help.example.com/signin.html#ticket=" in sent["text"]
    assert sent["headers"]["Auto-Submitted"] == "auto-replied"
    assert sent["headers"]["Message-ID"].startswith(f"<tessera.{outcome.ticket_id}.")
    assert sent["sender"] == "billing@example.com"


# ---------------------------------------------------------- duplicates, races and faults


def test_the_same_mail_twice_and_under_another_ses_id_is_one_ticket() -> None:
    world = World()
    first = deliver(world, mail())
    again = deliver(world, mail())
    other_id = deliver(world, mail(), "ses-2")
    assert (again.result, other_id.result) == ("duplicate", "duplicate")
    assert again.ticket_id == other_id.ticket_id == first.ticket_id
    assert len(world.tickets.recent(limit=10).items) == 1


def test_a_delivery_that_loses_the_race_reports_the_winner() -> None:
    # Given two deliveries of one mail that both checked the Message-ID before either wrote:
    # the first has written its ticket, the second still believes the mail is new
    world = World()
    winner = deliver(world, mail())
    real_find = world.tickets.find_by_mail_message_id
    checks = {"n": 0}

    def stale_find(message_id: str) -> str | None:
        checks["n"] += 1
        return None if checks["n"] == 1 else real_find(message_id)

    world.tickets.find_by_mail_message_id = stale_find  # type: ignore[method-assign]

    # When the second one writes, the conditional Message-ID claim refuses it
    loser = deliver(world, mail(), "ses-2")

    # Then it reports the winner's ticket and nothing else was made or routed twice
    assert (loser.result, loser.ticket_id) == ("duplicate", winner.ticket_id)
    assert len(world.tickets.recent(limit=10).items) == 1
    assert world.workflow.started == [winner.ticket_id]


def test_store_failing_mid_intake_then_retry_makes_exactly_one_ticket() -> None:
    # Given the attachments store failing once, then a table write failing once
    world = World()
    raw = (CORPUS / "en_gmail_attachment.eml").read_bytes()
    world.attachments.failures_to_come = 1
    with pytest.raises(ConnectionError):
        deliver(world, raw)
    original_create = world.tickets.create
    calls = {"n": 0}

    def failing_create(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("DynamoDB throttled")
        original_create(*args, **kwargs)  # type: ignore[arg-type]

    world.tickets.create = failing_create  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        deliver(world, raw)

    # When Lambda retries the same delivery, twice
    first = deliver(world, raw)
    second = deliver(world, raw)

    # Then there is exactly one ticket; the duplicate started its routing again, since the
    # ticket still waits for it (nothing routes it here) and the routing steps are idempotent
    assert (first.result, second.result) == ("created", "duplicate")
    assert len(world.tickets.recent(limit=10).items) == 1
    assert world.workflow.started == [first.ticket_id, first.ticket_id]


def test_a_redelivered_mail_does_not_start_a_finished_routing_again() -> None:
    # Given a mail whose ticket has been routed (the workflow's last step cleared the wait)
    world = World()
    first = deliver(world, mail())
    assert first.ticket_id is not None
    ticket = world.tickets.get(first.ticket_id)
    ticket.routing_since = None
    world.tickets.save(ticket, [])

    # When SES delivers the same mail again
    again = deliver(world, mail(), "ses-again")

    # Then it is recognised and no second routing run is started
    assert (again.result, again.ticket_id) == ("duplicate", first.ticket_id)
    assert world.workflow.started == [first.ticket_id]


def test_reprocess_releases_a_mail_that_now_makes_a_ticket() -> None:
    world = World()
    world.apply_config("mail-filters", "limits:\n  max_mail_bytes: 100\n")
    assert deliver(world, mail()).result == "quarantined"
    world.apply_config("mail-filters", "limits:\n  max_mail_bytes: 100000\n")
    outcome = intake.reprocess(world.deps, "inbound/ses-1", "inbound/")
    assert outcome.result == "created"
    assert world.tickets.quarantined(limit=5) == []


def test_an_admins_reprocess_is_audited_with_the_ticket_number_not_its_id() -> None:
    from tessera.admin import audit
    from tessera.identity.access import Principal, Role
    from tessera.mail import quarantine

    # Given a mail quarantined for its size, then a larger limit
    world = World()
    admin = Principal("admin@example.com", frozenset({Role.ADMIN}))
    world.apply_config("mail-filters", "limits:\n  max_mail_bytes: 100\n")
    assert deliver(world, mail()).result == "quarantined"
    world.apply_config("mail-filters", "limits:\n  max_mail_bytes: 100000\n")
    # When an admin reprocesses it from the admin center
    outcome = quarantine.reprocess_held(world.deps, admin, "ses-1", prefix="inbound/")
    # Then the audit log says which ticket by its number, as people know it
    [entry] = [e for e in audit.search(world.deps, admin) if e.action == "mail.reprocessed"]
    assert entry.after == f"created #{outcome.number}"
    assert str(outcome.ticket_id) not in entry.after


def test_reply_reopens_pending_but_an_auto_reply_does_not() -> None:
    world = World()
    ticket_id, _ = opened(world)
    ticket = world.tickets.get(ticket_id)
    world.tickets.save(ticket, [ticket.change(actor="agent:a", reason="t", status="pending")])
    ooo = mail(
        message_id="<ooo@c.test>",
        extra="In-Reply-To: <m1@customer.test>\r\nAuto-Submitted: auto-replied\r\n",
    )
    assert deliver(world, ooo, "s2").result == "reply"
    assert world.tickets.get(ticket_id).status is Status.PENDING


# ------------------------------------------------------------------------------ the probe's holes
def test_a_forged_reference_in_tessera_shape_does_not_join_a_ticket() -> None:
    # Given dana's ticket, whose id a stranger learned (it was in a Message-ID of ours)
    world = World()
    ticket_id, _ = opened(world)
    forged = f"<tessera.{ticket_id}.made-up@example.com>"
    # When the stranger writes "in reply to" a mail we never sent
    outcome = deliver(
        world,
        mail(
            "Your invoice",
            sender="eve@evil.test",
            message_id="<e1@evil.test>",
            extra=f"In-Reply-To: {forged}\r\nReferences: {forged}\r\n",
        ),
        "s2",
    )
    # Then it is a ticket of the stranger's own, and dana's thread has no word of it
    assert outcome.result == "created"
    assert outcome.ticket_id != ticket_id
    assert [m.author for m in world.tickets.thread(ticket_id).messages] == ["dana@customer.test"]


def test_a_strangers_mail_that_answers_our_mail_is_held_for_an_agent_never_public() -> None:
    # Given dana's ticket and the acknowledgement we mailed her
    world = World()
    ticket_id, _ = opened(world)
    acknowledge.acknowledge(world.deps, ticket_id)
    ours = world.tickets.thread(ticket_id).messages[-1].mail_message_id
    status_before = world.tickets.get(ticket_id).status
    # When someone who is neither the requester nor a participant answers that very mail
    outcome = deliver(
        world,
        mail(
            "Re: Help",
            sender="eve@evil.test",
            message_id="<e2@evil.test>",
            extra=f"In-Reply-To: {ours}\r\n",
            body="Pay here: http://evil.test",
        ),
        "s2",
    )
    # Then it joins the ticket as an internal message agents review, never as public text
    assert (outcome.result, outcome.ticket_id) == ("reply", ticket_id)
    thread = world.tickets.thread(ticket_id)
    held = next(m for m in thread.messages if m.author == "eve@evil.test")
    assert held.kind is MessageKind.INTERNAL
    assert "message.held" in [e.action for e in thread.events]
    assert thread.ticket.status is status_before  # nor does it reopen or move the ticket


def test_subject_threading_needs_a_sender_that_passed_dmarc() -> None:
    # Given dana's ticket #1001
    world = World()
    first = deliver(world, mail())
    # When a mail "from dana" with [#1001] arrives, but failed DMARC (a forged From)
    outcome = deliver(
        world,
        mail("Re: [#1001] Help", message_id="<forged@c.test>", body="Send my data to x"),
        "s2",
        verdicts=Verdicts(dmarc="FAIL"),
    )
    # Then it does not join dana's ticket: it is a new one, tagged so
    assert outcome.result == "created"
    assert outcome.ticket_id != first.ticket_id
    assert "dmarc-fail" in world.tickets.get(outcome.ticket_id).tags


def test_the_acknowledgement_kept_in_the_thread_has_no_personal_link() -> None:
    # Given dana's ticket with boss in Cc, acknowledged
    world = World()
    first = deliver(world, mail(extra="Cc: boss@customer.test\r\n"))
    acknowledge.acknowledge(world.deps, first.ticket_id)
    # Then the mail to dana carries her signed link, but the thread's copy (boss reads it too)
    # does not
    [sent] = [m for m in world.mailer.sent if "signin.html#ticket=" in m["text"]]
    assert sent["to"] == ["dana@customer.test"]
    copy = world.tickets.thread(first.ticket_id).messages[-1]
    assert copy.kind is MessageKind.SYSTEM
    assert "#ticket=" not in copy.text
    assert "#1001" in copy.text


# ------------------------------------------------------------------------------ CSAT by mail
def solved_ticket(world: World) -> str:
    ticket_id, _ = opened(world)
    ticket = world.tickets.get(ticket_id)
    world.tickets.save(ticket, [ticket.change(actor="agent:a", reason="t", status="open")])
    ticket = world.tickets.get(ticket_id)
    world.tickets.save(ticket, [ticket.change(actor="agent:a", reason="t", status="solved")])
    return ticket_id


@pytest.mark.parametrize(
    ("body", "score", "comment"),
    [
        ("5", 5, ""),
        ("4/5\r\nQuick, thanks.", 4, "Quick, thanks."),
        ("\u06f3", 3, ""),  # Persian three
        (" 2! \r\n\r\nSlow.", 2, "Slow."),
    ],
)
def test_a_score_reply_to_the_survey_rates_without_reopening(
    body: str, score: int, comment: str
) -> None:
    # Given a solved ticket
    world = World()
    ticket_id = solved_ticket(world)
    reply = mail(
        "Re: [#1001] How did we do?",
        message_id="<rate@customer.test>",
        extra="In-Reply-To: <m1@customer.test>\r\n",
        body=body,
    )
    # When the requester answers the survey with a score
    outcome = deliver(world, reply, "s2")
    # Then the rating is recorded, the mail is in the thread, the ticket stays solved
    assert outcome.result == "rating"
    thread = world.tickets.thread(ticket_id)
    assert thread.ticket.status is Status.SOLVED
    rated = [e for e in thread.events if e.action == "ticket.rated"]
    assert [(e.changes["rating"][1], e.reason) for e in rated] == [(score, comment)]
    assert len(thread.messages) == 2
    assert world.workflow.started == [ticket_id]  # not routed again


def test_a_reply_that_is_not_a_score_still_reopens() -> None:
    world = World()
    ticket_id = solved_ticket(world)
    reply = mail(
        "Re: help",
        message_id="<more@customer.test>",
        extra="In-Reply-To: <m1@customer.test>\r\n",
        body="5 more printers are broken now",
    )
    assert deliver(world, reply, "s2").result == "reply"
    thread = world.tickets.thread(ticket_id)
    assert thread.ticket.status is Status.OPEN
    assert not [e for e in thread.events if e.action == "ticket.rated"]


def test_each_message_from_mail_keeps_its_raw_mail_key() -> None:
    # Given a ticket opened by mail
    world = World()
    ticket_id, _ = opened(world)
    # Then its message names the raw MIME it came from (what privacy erase deletes)
    thread = world.tickets.thread(ticket_id)
    assert [m.raw_key for m in thread.messages] == ["inbound/ses-1"]


# ---------------------------------------------------------------------------- the sender's name


def test_the_from_name_is_kept_on_the_ticket_and_its_message() -> None:
    # Given mail from "Casey Jones <casey@customer.test>"
    world = World()
    raw = mail(sender="casey@customer.test").replace(b"From: Dana", b"From: Casey Jones")
    # When it opens a ticket
    outcome = deliver(world, raw)
    assert outcome.ticket_id is not None
    # Then the ticket's requester and the message's author have that name
    thread = world.tickets.thread(outcome.ticket_id)
    assert thread.ticket.requester_name == "Casey Jones"
    assert [m.author_name for m in thread.messages] == ["Casey Jones"]
    # And a reply under another name keeps it on that message; the ticket keeps the first
    reply = mail(
        "Re: Help",
        sender="casey@customer.test",
        message_id="<m2@customer.test>",
        extra="In-Reply-To: <m1@customer.test>\r\n",
    ).replace(b"From: Dana", b"From: =?utf-8?b?2qnbjNiz24w=?=")
    assert deliver(world, reply, "s2").result == "reply"
    thread = world.tickets.thread(outcome.ticket_id)
    assert thread.ticket.requester_name == "Casey Jones"
    assert [m.author_name for m in thread.messages] == ["Casey Jones", "کیسی"]


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        ('"Jones, Casey" <casey@customer.test>', "Jones, Casey"),
        ("<casey@customer.test>", None),  # no name: none is made up
        ("casey@customer.test", None),
        ('"support@example.com" <casey@customer.test>', None),  # an address as a name misleads
        ('"<img src=x onerror=alert(1)>" <casey@customer.test>', "<img src=x onerror=alert(1)>"),
        ('"Casey \u202eseoJ" <casey@customer.test>', "Casey seoJ"),  # a bidi override is out
        ('"  Casey \t  Jones  " <casey@customer.test>', "Casey Jones"),
        (f'"{"A" * 300}" <casey@customer.test>', "A" * 128),
    ],
)
def test_a_from_name_is_untrusted_text_cleaned_and_capped(header: str, kept: str | None) -> None:
    # Given mail whose From name is missing, misleading, markup-like, spoofing or too long
    world = World()
    raw = mail(sender="casey@customer.test").replace(
        b"From: Dana <casey@customer.test>", f"From: {header}".encode()
    )
    # When it opens a ticket
    outcome = deliver(world, raw)
    assert outcome.ticket_id is not None
    # Then the name is kept as plain text (pages never read it as HTML), cleaned, or dropped
    thread = world.tickets.thread(outcome.ticket_id)
    assert thread.ticket.requester_name == kept
    assert thread.messages[0].author_name == kept

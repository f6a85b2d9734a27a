"""Inbound mail to tickets and replies: the use case behind the intake function.

Every stored mail ends as exactly one of: a new ticket, a message on an existing ticket (a
reply, or a bounce attached to the ticket it answers), or a quarantine record with the reason
(unreadable, virus, loop, discarded by a filter, oversized, over the open-ticket limit) that
``tessera mail reprocess`` can run again. The raw MIME is never deleted. See docs/email.md.
"""

from __future__ import annotations

import email.parser
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.policy import compat32
from email.utils import parseaddr
from typing import Any, Literal

from tessera.errors import AlreadyExists, NotFound
from tessera.identity.access import Principal, Role
from tessera.mail import language, loops, outbound, templates
from tessera.mail import parse as mail
from tessera.mail.filters import MailFilter, MailFilters
from tessera.ports import Dependencies, Quarantined
from tessera.routing.directory import ConfigDirectory
from tessera.sla import clocks as sla_clocks
from tessera.tickets import conversation, reading
from tessera.tickets.model import (
    Attachment,
    Channel,
    Event,
    Message,
    MessageKind,
    Status,
    Ticket,
    open_ticket,
    utcnow,
)
from tessera.workspace import notifications

INTAKE = "system:intake"
SUBJECT_NUMBER = re.compile(r"\[#(\d{1,12})\]")


@dataclass(frozen=True)
class Verdicts:
    """SES's receipt verdicts (``PASS``, ``FAIL``, ``GRAY``, ``PROCESSING_FAILED``, ...)."""

    spam: str = "PASS"
    virus: str = "PASS"
    spf: str = "PASS"
    dkim: str = "PASS"
    dmarc: str = "PASS"

    @classmethod
    def from_receipt(cls, receipt: Mapping[str, Any]) -> Verdicts:
        def status(name: str) -> str:
            value = receipt.get(name)
            return str(value.get("status", "PASS")).upper() if isinstance(value, dict) else "PASS"

        return cls(
            spam=status("spamVerdict"),
            virus=status("virusVerdict"),
            spf=status("spfVerdict"),
            dkim=status("dkimVerdict"),
            dmarc=status("dmarcVerdict"),
        )


@dataclass(frozen=True)
class MailOutcome:
    result: Literal["created", "reply", "rating", "duplicate", "quarantined"]
    ticket_id: str | None = None
    number: int | None = None
    reason: str = ""


def receive_mail(
    deps: Dependencies,
    *,
    key: str,
    ses_message_id: str,
    recipients: Sequence[str],
    verdicts: Verdicts | None = None,
) -> MailOutcome:
    """Turn one stored inbound mail into a new ticket, a reply on its ticket, or a quarantine
    record.

    Idempotent: the same delivery twice yields one ticket (the second call reports
    ``duplicate``); a retry after a failure half-way finishes the job. Errors of storage and
    AWS propagate (the invocation is retried); anything wrong with the mail itself does not.
    """
    verdicts = verdicts or Verdicts()
    raw = deps.raw_mail().read(key)
    limits: MailFilters = deps.config().get("mail-filters") or MailFilters()
    if len(raw) > limits.max_mail_bytes:
        return _refuse_oversized(deps, key, raw, limits)
    if verdicts.virus == "FAIL":
        return _quarantine(deps, key, "SES virus verdict FAIL: not opened, kept for review")
    try:
        parsed = mail.parse(raw)
    except mail.UnreadableMail as error:
        return _quarantine(deps, key, f"unreadable: {error}")
    except Exception as error:  # a parser bug must cost a quarantine record, never the mail
        return _quarantine(deps, key, f"parser failed: {type(error).__name__}: {error}")

    # Without a Message-ID the SES message id stands in, so redelivery is still recognised.
    message_id = parsed.message_id or f"<{ses_message_id}@ses.tessera>"
    existing = deps.tickets.find_by_mail_message_id(message_id)
    if existing is not None:
        # A retry may have stopped before the start; a ticket whose routing ended needs none
        # (an Express workflow does not refuse a second start).
        if deps.tickets.get(existing).routing_since is not None:
            deps.workflow().start_routing(existing)
        return MailOutcome("duplicate", ticket_id=existing)

    automated = loops.classify(parsed, deps.support_addresses())
    if automated is not None and automated.kind == "loop":
        return _quarantine(deps, key, f"mail loop: {automated.reason}")
    matched = limits.first_match(parsed.sender, parsed.subject, parsed.text)
    if matched is not None and matched.action == "discard":
        return _quarantine(deps, key, f"discarded by mail filter {matched.name}")
    if automated is not None and automated.kind == "bounce":
        return _bounce(deps, key, parsed, message_id, automated.reason)

    found = _thread(deps, parsed, verdicts)
    if found is not None:
        ticket, how = found
        if ticket.status is not Status.CLOSED:
            return _append_reply(deps, key, ticket, parsed, message_id, how, automated, verdicts)
    mailbox = _mailbox(deps, recipients, parsed)
    return _open_from_mail(
        deps, key, parsed, message_id, mailbox, verdicts, matched, automated, limits
    )


def receive_ses_record(
    deps: Dependencies, record: Mapping[str, Any], raw_mail_prefix: str
) -> tuple[str, MailOutcome]:
    """One record of the event an SES receipt rule's Lambda action gets: the mail the rule's S3
    action stored under ``<prefix><SES message id>``. ``(SES message id, outcome)``. The intake
    handler and ``tessera mail redrive`` (of the events its dead-letter queue kept) both run it."""
    ses = record["ses"]
    ses_message_id = str(ses["mail"]["messageId"])
    outcome = receive_mail(
        deps,
        key=f"{raw_mail_prefix}{ses_message_id}",
        ses_message_id=ses_message_id,
        recipients=list(ses["receipt"]["recipients"]),
        verdicts=Verdicts.from_receipt(ses["receipt"]),
    )
    return ses_message_id, outcome


def reprocess(deps: Dependencies, key: str, raw_mail_prefix: str) -> MailOutcome:
    """Run a stored mail through intake again (``tessera mail reprocess``): after a fix, or
    an operator's decision on a quarantined mail. SES's verdicts are not stored with the mail,
    so they count as passed. A mail that now makes a ticket or reply leaves the quarantine."""
    ses_message_id = key.removeprefix(raw_mail_prefix)
    outcome = receive_mail(deps, key=key, ses_message_id=ses_message_id, recipients=[])
    if outcome.result != "quarantined":
        deps.tickets.release(key)
    return outcome


# ------------------------------------------------------------------------------ threading


def _thread(
    deps: Dependencies, parsed: mail.ParsedMail, verdicts: Verdicts
) -> tuple[Ticket, str] | None:
    """The ticket this mail answers, and how we know: a Message-ID stored on it first, then a
    signed token, then a ``[#1234]`` subject — trusted only from the ticket's requester or
    participants, and only when the sender passed DMARC (a From is easy to forge)."""
    # Only a Message-ID stored on a ticket counts: one merely shaped like ours (the ticket id is
    # in it) proves nothing, as anyone may make one up.
    for answered in parsed.thread_ids:
        ticket = _get(deps, deps.tickets.find_by_mail_message_id(answered))
        if ticket is not None:
            return ticket, f"answers {answered}"
    token_ticket = outbound.ticket_of_token(
        deps,
        f"[ref:{parsed.header('X-Tessera-Thread').strip()}]",
        parsed.text,
        parsed.html,
    )
    ticket = _get(deps, token_ticket)
    if ticket is not None:
        return ticket, "signed thread token"
    number = SUBJECT_NUMBER.search(parsed.subject)
    if number is not None and verdicts.dmarc != "FAIL":
        try:
            ticket = deps.tickets.get_by_number(int(number.group(1)))
        except NotFound:
            return None
        if parsed.sender == ticket.requester or parsed.sender in ticket.participants:
            return ticket, f"subject [#{ticket.number}] from {parsed.sender}"
    return None


def _get(deps: Dependencies, ticket_id: str | None) -> Ticket | None:
    if ticket_id is None:
        return None
    try:
        return deps.tickets.get(ticket_id)
    except NotFound:
        return None


def _mailbox(deps: Dependencies, recipients: Sequence[str], parsed: mail.ParsedMail) -> str | None:
    """The support address the mail came in on: the envelope first (it includes Bcc), then
    Delivered-To, To and Cc."""
    candidates = [r.lower() for r in recipients] + [*parsed.delivered_to, *parsed.to, *parsed.cc]
    return next((a for a in candidates if a in deps.support_addresses()), None)


# -------------------------------------------------------------------------- the outcomes


def _open_from_mail(
    deps: Dependencies,
    key: str,
    parsed: mail.ParsedMail,
    message_id: str,
    mailbox: str | None,
    verdicts: Verdicts,
    matched: MailFilter | None,
    automated: loops.Automated | None,
    limits: MailFilters,
) -> MailOutcome:
    open_count = reading.open_tickets_of(deps, parsed.sender, limits.open_tickets_per_requester)
    if open_count >= limits.open_tickets_per_requester and automated is None:
        return _refuse_over_limit(deps, key, parsed, message_id, open_count, mailbox)

    support = deps.support_addresses()
    participants = [a for a in (*parsed.to, *parsed.cc) if a not in support and a != parsed.sender]
    tags: set[str] = set()
    notes: list[tuple[str, str]] = []  # (actor, reason) of each decision, for the audit trail
    if verdicts.spam == "FAIL":
        tags.add("spam")
        notes.append((INTAKE, "SES spam verdict FAIL: tagged spam, no acknowledgement"))
    if verdicts.dmarc == "FAIL":
        tags.add("dmarc-fail")
        notes.append((INTAKE, "DMARC FAIL: the sender may be forged, no acknowledgement"))
    if automated is not None:
        tags |= {"automated", automated.kind}
        notes.append((INTAKE, f"automated mail ({automated.reason}): no acknowledgement"))
    values: dict[str, Any] = {}
    if matched is not None:
        if matched.action == "spam":
            tags.add("spam")
        else:
            values["group"] = matched.group
        notes.append((f"filter:{matched.name}", f"mail filter {matched.name}: {matched.action}"))
    detected = language.detect(f"{parsed.subject}\n{parsed.display_text}")
    ticket, created = open_ticket(
        number=deps.tickets.next_number(),
        subject=parsed.subject,
        requester=parsed.sender,
        requester_name=parsed.sender_name,
        channel=Channel.EMAIL,
        actor=INTAKE,
        reason=f"mail to {mailbox or 'an unknown mailbox'} from {parsed.sender}",
        mailbox=mailbox,
        participants=participants,
        tags=sorted(tags),
        language=detected,
        **values,
    )
    first = _message(deps, ticket.id, parsed, message_id, MessageKind.PUBLIC, raw_key=key)
    events = [created, *(Event(ticket.id, actor, "mail.classified", why) for actor, why in notes)]
    events += sla_clocks.refresh(deps, ticket, trigger="created", now=utcnow())
    try:
        deps.tickets.create(ticket, first, events)
    except AlreadyExists:
        # A concurrent delivery of the same mail won the race: report its ticket.
        winner = deps.tickets.find_by_mail_message_id(message_id)
        return MailOutcome("duplicate", ticket_id=winner)
    deps.workflow().start_routing(ticket.id)
    deps.events().publish("ticket.created", ticket.snapshot())
    return MailOutcome("created", ticket_id=ticket.id, number=ticket.number)


def _append_reply(
    deps: Dependencies,
    key: str,
    ticket: Ticket,
    parsed: mail.ParsedMail,
    message_id: str,
    how: str,
    automated: loops.Automated | None,
    verdicts: Verdicts,
) -> MailOutcome:
    on_ticket = parsed.sender == ticket.requester or parsed.sender in ticket.participants
    if not on_ticket and _is_staff(deps, parsed.sender):
        return _from_staff(deps, key, ticket, parsed, message_id, how, automated, verdicts)
    if not on_ticket or verdicts.dmarc == "FAIL":
        return _hold(deps, key, ticket, parsed, message_id, how, on_ticket)
    reply = _message(deps, ticket.id, parsed, message_id, MessageKind.PUBLIC, raw_key=key)
    events: list[Event] = [
        Event(ticket.id, INTAKE, "message.added", f"mail from {parsed.sender} ({how})")
    ]
    if automated is not None:
        events.append(
            Event(ticket.id, INTAKE, "mail.classified", f"automated mail ({automated.reason})")
        )
    rating = (
        survey_rating(parsed.display_text or parsed.text)
        if automated is None
        and ticket.status is Status.SOLVED
        and parsed.sender == ticket.requester
        else None
    )
    if rating is not None:
        return _rated_by_mail(deps, ticket, reply, events, rating, parsed.sender)
    reopened = automated is None and ticket.status is Status.SOLVED
    if automated is None and ticket.status in {Status.PENDING, Status.SOLVED}:
        events.append(
            ticket.change(actor=INTAKE, reason="the customer replied", status=Status.OPEN)
        )
    if automated is None:
        events += sla_clocks.refresh(deps, ticket, trigger="customer_message", now=utcnow())
    try:
        deps.tickets.add_message(ticket, reply, events)
    except AlreadyExists:
        return MailOutcome("duplicate", ticket_id=ticket.id)
    if reopened:  # the rules decide (on_reopen) whether it is routed again
        deps.workflow().start_routing(ticket.id, reopening=ticket.version)
    deps.events().publish("ticket.replied", {"id": ticket.id, "number": ticket.number})
    if automated is None:
        notifications.customer_replied(deps, ticket, by=parsed.sender)
    return MailOutcome("reply", ticket_id=ticket.id, number=ticket.number)


def _is_staff(deps: Dependencies, address: str) -> bool:
    """Whether ``address`` is an agent's: listed in the ``groups`` config (the directory
    routing assigns from)."""
    directory: ConfigDirectory | None = deps.config().get("groups")
    return directory is not None and directory.agent(address) is not None


def staff_mail_authenticates(verdicts: Verdicts) -> bool:
    """Whether mail from a staff address may act as that staff member: DMARC passed (or, for a
    domain that publishes no DMARC policy, SES's GRAY, both SPF and DKIM passed). Anything less
    could be anyone using the address."""
    if verdicts.dmarc == "PASS":
        return True
    return verdicts.dmarc == "GRAY" and verdicts.spf == "PASS" and verdicts.dkim == "PASS"


def _from_staff(
    deps: Dependencies,
    key: str,
    ticket: Ticket,
    parsed: mail.ParsedMail,
    message_id: str,
    how: str,
    automated: loops.Automated | None,
    verdicts: Verdicts,
) -> MailOutcome:
    """An agent answered the ticket's mail (or a notification) from their mailbox: their reply,
    mailed to the requester as one from the console would be — or, when its first line is
    ``#note``, their internal note. The quoted history below it is cut (strip_quoted). Only
    when the mail authenticates and a person wrote it: anything else is held for agents."""
    if not staff_mail_authenticates(verdicts):
        why = (
            f"staff address {parsed.sender} whose mail did not authenticate "
            f"(DMARC {verdicts.dmarc}, SPF {verdicts.spf}, DKIM {verdicts.dkim})"
        )
        return _hold(deps, key, ticket, parsed, message_id, how, False, why=why)
    if automated is not None:
        why = f"staff address {parsed.sender} sent an automated mail ({automated.reason})"
        return _hold(deps, key, ticket, parsed, message_id, how, False, why=why)
    agent = Principal(parsed.sender, frozenset({Role.AGENT}))
    text = parsed.display_text.strip()
    first, _, rest = text.partition("\n")
    try:
        if first.strip().lower() == notifications.NOTE_MARKER:
            conversation.note(
                deps, agent, ticket.id, text=rest.strip() or "(empty note)", by_mail=message_id
            )
            return MailOutcome("reply", ticket_id=ticket.id, number=ticket.number, reason="note")
        files = store_attachments(deps, parsed.attachments)
        conversation.reply(
            deps, agent, ticket.id, text=text or "(no text)", attachments=files, by_mail=message_id
        )
    except AlreadyExists:
        return MailOutcome("duplicate", ticket_id=ticket.id)
    return MailOutcome("reply", ticket_id=ticket.id, number=ticket.number, reason="agent")


def _hold(
    deps: Dependencies,
    key: str,
    ticket: Ticket,
    parsed: mail.ParsedMail,
    message_id: str,
    how: str,
    on_ticket: bool,
    *,
    why: str | None = None,
) -> MailOutcome:
    """A mail that answers the ticket but whose sender is not on it (or failed DMARC): kept as
    an internal message for agents, never public text the requester reads as ours. It changes
    nothing else: no status, no SLA clock, no reopening. An agent who trusts it adds the sender
    as a participant or answers them."""
    held = _message(deps, ticket.id, parsed, message_id, MessageKind.INTERNAL, raw_key=key)
    who = "failed DMARC" if on_ticket else "is not the requester or a participant"
    reason = f"mail from {parsed.sender} ({how}), who {who}: kept as an internal message"
    if why is not None:
        reason = f"mail from {why} ({how}): kept as an internal message, not sent to anyone"
    event = Event(ticket.id, INTAKE, "message.held", reason)
    try:
        deps.tickets.add_message(ticket, held, [event])
    except AlreadyExists:
        return MailOutcome("duplicate", ticket_id=ticket.id)
    return MailOutcome("reply", ticket_id=ticket.id, number=ticket.number, reason="held")


def _bounce(
    deps: Dependencies, key: str, parsed: mail.ParsedMail, message_id: str, why: str
) -> MailOutcome:
    """A bounce marks the failed addresses as bouncing and joins the ticket it answers."""
    report = parsed.report
    failed = report.failed_recipients if report is not None else ()
    for address in failed:
        status = report.status if report is not None else ""
        deps.mail_ledger().mark_bouncing(address, f"bounce {message_id} {status}".strip())
    candidates = [report.original_message_id] if report and report.original_message_id else []
    ticket = None
    for answered in [*candidates, *parsed.thread_ids]:
        ours = loops.OUR_MESSAGE_ID.match(answered)
        ticket_id = deps.tickets.find_by_mail_message_id(answered) or (
            ours.group("ticket") if ours else None
        )
        ticket = _get(deps, ticket_id)
        if ticket is not None:
            break
    bouncing = ", ".join(failed) or "no address named"
    if ticket is None:
        return _quarantine(deps, key, f"bounce ({why}) for no mail we know; bouncing: {bouncing}")
    note = _message(deps, ticket.id, parsed, message_id, MessageKind.INTERNAL, raw_key=key)
    event = Event(ticket.id, INTAKE, "mail.bounced", f"{why}; bouncing: {bouncing}")
    try:
        deps.tickets.add_message(ticket, note, [event])
    except AlreadyExists:
        return MailOutcome("duplicate", ticket_id=ticket.id)
    return MailOutcome("reply", ticket_id=ticket.id, number=ticket.number, reason="bounce")


def _quarantine(deps: Dependencies, key: str, reason: str) -> MailOutcome:
    deps.tickets.quarantine(Quarantined(key=key, reason=reason, at=utcnow()))
    return MailOutcome("quarantined", reason=reason)


def _refuse_over_limit(
    deps: Dependencies,
    key: str,
    parsed: mail.ParsedMail,
    message_id: str,
    count: int,
    mailbox: str | None,
) -> MailOutcome:
    _, texts = templates.pick(language.detect(f"{parsed.subject}\n{parsed.display_text}"))
    values = {"subject": parsed.subject, "count": count, "brand": mailbox or deps.from_address()}
    notice = _notify(
        deps,
        parsed.sender,
        texts.limit_subject.format(**values),
        texts.limit_body.format(**values),
        message_id,
    )
    return _quarantine(deps, key, f"{count} open tickets: over the per-requester limit; {notice}")


def _refuse_oversized(deps: Dependencies, key: str, raw: bytes, limits: MailFilters) -> MailOutcome:
    size = f"{len(raw)} bytes, over the {limits.max_mail_bytes}-byte limit"
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    try:
        parsed = mail.parse(head + b"\r\n\r\n")
    except mail.UnreadableMail:
        return _quarantine(deps, key, f"oversized ({size}), no sender to tell")
    notice = "no notice: automated mail"
    if loops.classify(parsed, deps.support_addresses()) is None:
        written_in, texts = templates.pick(language.detect(parsed.subject))
        values = {
            "subject": parsed.subject,
            "limit": templates.size_text(limits.max_mail_bytes, written_in),
            "brand": deps.from_address(),
        }
        notice = _notify(
            deps,
            parsed.sender,
            texts.oversized_subject.format(**values),
            texts.oversized_body.format(**values),
            parsed.message_id,
        )
    return _quarantine(deps, key, f"oversized ({size}); {notice}")


def _notify(deps: Dependencies, to: str, subject: str, text: str, in_reply_to: str | None) -> str:
    """Send an automatic notice; what happened, for the quarantine reason."""
    try:
        sent = outbound.send_automatic(
            deps, ticket=None, to=to, subject=subject, text=text, in_reply_to=in_reply_to
        )
    except outbound.MailNotSent as error:
        return f"notice not sent: {error}"
    return f"notice sent as {sent[0]}" if sent else "no notice: bouncing address or cap reached"


# ---------------------------------------------------------------------------- the message


def _message(
    deps: Dependencies,
    ticket_id: str,
    parsed: mail.ParsedMail,
    message_id: str,
    kind: MessageKind,
    *,
    raw_key: str,
) -> Message:
    return Message(
        ticket_id=ticket_id,
        kind=kind,
        author=parsed.sender,
        text=parsed.text,
        html=parsed.html,
        attachments=store_attachments(deps, parsed.attachments),
        mail_message_id=message_id,
        raw_key=raw_key,
        author_name=parsed.sender_name,  # untrusted: the Message cleans it (person_name)
    )


def store_attachments(
    deps: Dependencies, files: Sequence[mail.MailAttachment]
) -> tuple[Attachment, ...]:
    """Put each file in the attachments bucket under a key made of its content's hash, so a
    retried intake writes the same objects again instead of new ones."""
    stored = []
    for file in files:
        key = f"mail/{hashlib.sha256(file.data).hexdigest()}"
        deps.attachments().put(
            key, file.data, content_type=file.content_type, filename=file.filename
        )
        stored.append(
            Attachment(
                key=key,
                filename=file.filename,
                content_type=file.content_type,
                size=len(file.data),
                content_id=file.content_id,
            )
        )
    return tuple(stored)


def sender_of(raw: bytes) -> str:
    """The From address of raw MIME, from its headers only (for operators' listings)."""
    headers = email.parser.BytesParser(policy=compat32).parsebytes(raw, headersonly=True)
    return parseaddr(str(headers.get("From", "")))[1].lower()


# A CSAT score alone on the first line of a reply: 4, 4/5, "5!", or in Persian/Arabic digits.
_SCORE = re.compile(r"\s*([1-5])\s*(?:/\s*5)?\s*[.!]?\s*")
_DIGITS = str.maketrans("۱۲۳۴۵١٢٣٤٥", "1234512345")


def survey_rating(text: str) -> tuple[int, str] | None:
    """The requester's answer to the CSAT survey mail (tessera.sla.escalation): a score from 1
    to 5 alone on the reply's first non-empty line, the lines below it as the comment. None
    when the reply is anything else (then it is a reply, and reopens the solved ticket)."""
    lines = [line.strip() for line in text.strip().splitlines()]
    if not lines:
        return None
    found = _SCORE.fullmatch(lines[0].translate(_DIGITS))
    if found is None:
        return None
    return int(found.group(1)), "\n".join(lines[1:]).strip()[:1000]


def _rated_by_mail(
    deps: Dependencies,
    ticket: Ticket,
    reply: Message,
    events: list[Event],
    rating: tuple[int, str],
    sender: str,
) -> MailOutcome:
    """A survey answer: the mail kept in the thread and the rating recorded (the latest
    counts, as with the portal's), the ticket left solved and its clocks untouched."""
    score, comment = rating
    events.append(
        Event(ticket.id, f"customer:{sender}", "ticket.rated", comment, {"rating": (None, score)})
    )
    try:
        deps.tickets.add_message(ticket, reply, events)
    except AlreadyExists:
        return MailOutcome("duplicate", ticket_id=ticket.id)
    deps.events().publish("ticket.rated", {**ticket.snapshot(), "score": score})
    return MailOutcome("rating", ticket_id=ticket.id, number=ticket.number)

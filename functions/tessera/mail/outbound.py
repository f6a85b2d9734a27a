"""Mail Tessera sends: agent replies, notifications, acknowledgements and notices.

Every mail is built here, so every mail threads the same way: a Message-ID our intake
recognises (``<tessera.<ticket id>.<random>@<domain>>``, stored as the message's claim, so a
reply's In-Reply-To finds the ticket), ``In-Reply-To``/``References`` to the thread, and a signed
thread token (``[ref:<token>]`` at the end of the text, and the ``X-Tessera-Thread`` header) that
survives forwarding and tools that strip headers. From is the ticket's mailbox (with its brand
name), Reply-To the mailbox.

The entry point for agents' replies and notifications is :func:`send_reply`.
"""

from __future__ import annotations

import html as html_lib
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate
from urllib.parse import quote

from tessera.deps import Dependencies
from tessera.errors import TesseraError
from tessera.mail.parse import sanitize_html
from tessera.sign_in import ticket_link_token
from tessera.signing import InvalidToken
from tessera.tickets import Attachment, Event, Message, MessageKind, Ticket

THREAD_PURPOSE = "mail-thread"
THREAD_TOKEN_TTL = 2 * 365 * 24 * 3600  # replies to year-old mail still thread
TOKEN_IN_TEXT = re.compile(r"\[ref:([A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})\]")
MAX_REFERENCES = 10
RETRY_PAUSES = (0.2, 1.0)  # seconds between attempts: three attempts in all


class MailNotSent(TesseraError):
    """Sending failed after every retry (the failure is on the ticket's audit trail)."""


@dataclass(frozen=True)
class OutboundFile:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class SendResult:
    message: Message  # as stored in the thread
    sent: bool
    provider_id: str | None = None
    error: str | None = None


# ----------------------------------------------------------------------------- tokens, ids


def thread_token(deps: Dependencies, ticket_id: str) -> str:
    return deps.signer().sign(THREAD_PURPOSE, ticket_id, ttl_seconds=THREAD_TOKEN_TTL)


def ticket_of_token(deps: Dependencies, *texts: str) -> str | None:
    """The ticket id of the first valid thread token in ``texts`` (forged ones are ignored)."""
    for text in texts:
        for candidate in TOKEN_IN_TEXT.findall(text or ""):
            try:
                return deps.signer().verify(candidate, THREAD_PURPOSE).subject
            except InvalidToken:
                continue
    return None


def portal_link(deps: Dependencies, ticket: Ticket, email: str) -> str:
    """A signed link that opens this one ticket in the portal for ``email`` (the token of
    :func:`tessera.sign_in.ticket_link_token`, exchanged by ``POST /api/auth/ticket-link``)."""
    token = ticket_link_token(deps.signer(), ticket.id, email)
    return f"{deps.portal_base_url()}/signin.html#ticket={quote(token)}"


def new_message_id(ticket_id: str, sender: str) -> str:
    domain = sender.rsplit("@", 1)[-1] or "tessera.invalid"
    return f"<tessera.{ticket_id}.{secrets.token_hex(8)}@{domain}>"


# ---------------------------------------------------------------------------------- build


def compose(
    *,
    sender: str,
    to: Sequence[str],
    subject: str,
    text: str,
    message_id: str,
    sender_name: str = "",
    reply_to: str | None = None,
    cc: Sequence[str] = (),
    html: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    token: str | None = None,
    files: Sequence[OutboundFile] = (),
    auto_submitted: str | None = None,
    rtl: bool = False,
) -> bytes:
    """A complete MIME message: text (and HTML) part, attachments, threading headers."""
    message = EmailMessage(policy=SMTP)
    message["From"] = formataddr((sender_name, sender)) if sender_name else sender
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = " ".join(list(references)[-MAX_REFERENCES:])
    if token:
        message["X-Tessera-Thread"] = token
        text = f"{text.rstrip()}\n\n[ref:{token}]\n"
    if auto_submitted:
        # RFC 3834, and Microsoft's header asking Exchange not to auto-answer us: no loops.
        message["Auto-Submitted"] = auto_submitted
        message["X-Auto-Response-Suppress"] = "All"
        message["Precedence"] = "bulk"
    message.set_content(text)
    if html is None:
        html = text_to_html(text, rtl=rtl)
    elif token:
        html = f'{html}<p style="color:#888;font-size:small">[ref:{token}]</p>'
    message.add_alternative(html, subtype="html")
    for file in files:
        maintype, _, subtype = file.content_type.partition("/")
        message.add_attachment(
            file.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=file.filename,
        )
    return message.as_bytes()


def text_to_html(text: str, *, rtl: bool = False) -> str:
    paragraphs = "".join(
        f"<p>{html_lib.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n")
    )
    direction = ' dir="rtl"' if rtl else ""
    return f"<div{direction}>{paragraphs}</div>"


# ----------------------------------------------------------------------------------- send


def send_with_retries(deps: Dependencies, *, sender: str, to: Sequence[str], message: bytes) -> str:
    """Send, retrying twice with a pause; MailNotSent with the last error after that."""
    last: Exception | None = None
    for attempt in range(len(RETRY_PAUSES) + 1):
        try:
            return deps.mailer().send_raw(sender=sender, to=to, message=message)
        except Exception as error:  # any provider failure is retried, then recorded
            last = error
            if attempt < len(RETRY_PAUSES):
                time.sleep(RETRY_PAUSES[attempt])
    raise MailNotSent(f"{type(last).__name__}: {last}")


def mailbox_identity(deps: Dependencies, ticket: Ticket) -> tuple[str, str]:
    """(address, brand name) the ticket's mail goes out as: its mailbox, else the default."""
    address = ticket.mailbox or deps.from_address()
    mailboxes = deps.config().get("mailboxes")
    mailbox = mailboxes.get(address) if mailboxes else None
    return address, mailbox.brand if mailbox is not None else ""


def send_reply(
    deps: Dependencies,
    ticket_id: str,
    *,
    author: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
    actor: str | None = None,
) -> SendResult:
    """Mail a public reply (an agent's, or a notification) to the ticket's requester, with its
    participants in Cc, and store it in the thread.

    ``attachments`` are files already in the attachments bucket (e.g. uploaded through the API).
    The reply is stored whether or not sending succeeds, so nothing an agent wrote is lost;
    a failure after retries is recorded as a ``mail.failed`` event and reported in the result.
    """
    thread = deps.tickets.thread(ticket_id)
    ticket = thread.ticket
    sender, brand = mailbox_identity(deps, ticket)
    ids = [m.mail_message_id for m in thread.messages if m.mail_message_id]
    message_id = new_message_id(ticket.id, sender)
    clean_html = sanitize_html(html) if html else None
    files = [
        OutboundFile(a.filename, a.content_type, deps.attachments().get(a.key)) for a in attachments
    ]
    raw = compose(
        sender=sender,
        sender_name=brand,
        reply_to=sender,
        to=[ticket.requester],
        cc=sorted(ticket.participants),
        subject=f"[#{ticket.number}] Re: {ticket.subject}",
        text=text,
        html=clean_html,
        message_id=message_id,
        in_reply_to=ids[-1] if ids else None,
        references=ids,
        token=thread_token(deps, ticket.id),
        files=files,
    )
    recipients = [ticket.requester, *sorted(ticket.participants)]
    who = actor or f"agent:{author}"
    provider_id: str | None = None
    error: str | None = None
    try:
        provider_id = send_with_retries(deps, sender=sender, to=recipients, message=raw)
    except MailNotSent as failure:
        error = str(failure)
    message = Message(
        ticket_id=ticket.id,
        kind=MessageKind.PUBLIC,
        author=author,
        text=text,
        html=clean_html or "",
        attachments=tuple(attachments),
        mail_message_id=message_id,
    )
    events = [Event(ticket.id, who, "message.added", f"reply to {', '.join(recipients)}")]
    if error is None:
        events.append(Event(ticket.id, who, "mail.sent", f"sent as {message_id} ({provider_id})"))
    else:
        events.append(Event(ticket.id, who, "mail.failed", f"not sent after retries: {error}"))
    deps.tickets.add_message(ticket, message, events)
    return SendResult(message, error is None, provider_id, error)


def send_automatic(
    deps: Dependencies,
    *,
    ticket: Ticket | None,
    to: str,
    subject: str,
    text: str,
    in_reply_to: str | None,
    rtl: bool = False,
) -> tuple[str, str] | None:
    """An automatic mail (acknowledgement, notice): ``Auto-Submitted: auto-replied``, never to a
    bouncing address, and within the per-sender cap of the mail-filters config. Returns
    (Message-ID, provider id), or None when it was held back. Raises MailNotSent."""
    from tessera.mail.filters import MailFilters

    limits = deps.config().get("mail-filters") or MailFilters()
    ledger = deps.mail_ledger()
    if ledger.is_bouncing(to):
        return None
    if not ledger.take_auto_response(
        to,
        limit=limits.auto_responses_per_sender,
        window_seconds=limits.auto_response_window_minutes * 60,
    ):
        return None
    if ticket is not None:
        sender, brand = mailbox_identity(deps, ticket)
        token: str | None = thread_token(deps, ticket.id)
        message_id = new_message_id(ticket.id, sender)
    else:
        sender, brand, token = deps.from_address(), "", None
        message_id = new_message_id("0" * 26, sender)
    raw = compose(
        sender=sender,
        sender_name=brand,
        reply_to=sender,
        to=[to],
        subject=subject,
        text=text,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=[in_reply_to] if in_reply_to else [],
        token=token,
        auto_submitted="auto-replied",
        rtl=rtl,
    )
    return message_id, send_with_retries(deps, sender=sender, to=[to], message=raw)

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

from tessera.errors import TesseraError
from tessera.identity.customers import ticket_link_token
from tessera.identity.tokens import InvalidToken
from tessera.mail.parse import sanitize_html
from tessera.ports import Dependencies
from tessera.tickets.model import Attachment, Event, Message, MessageKind, Ticket

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
    :func:`tessera.identity.customers.ticket_link_token`, exchanged by
    ``POST /api/auth/ticket-link``)."""
    token = ticket_link_token(deps.signer(), ticket.id, email)
    link = f"{deps.portal_base_url()}/signin.html#ticket={quote(token)}"
    # The portal opens in the ticket's language (the customer wrote in it).
    return f"{link}&lang={quote(ticket.language)}" if ticket.language else link


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
    """Store a public reply (an agent's, or a notification) in the thread, then mail it to the
    ticket's requester with its participants in Cc.

    ``attachments`` are files already in the attachments bucket (e.g. uploaded through the API).
    The reply is stored before it is sent, so nothing an agent wrote is lost and a retried store
    never mails twice; a failure after retries is recorded as a ``mail.failed`` event and
    reported in the result. Callers that store the reply themselves (with a status change in the
    same write) use :func:`prepare_reply` and :func:`mail_reply`.
    """
    ticket = deps.tickets.get(ticket_id)
    message = prepare_reply(
        deps, ticket, author=author, text=text, html=html, attachments=attachments
    )
    who = actor or f"agent:{author}"
    recipients = [ticket.requester, *sorted(ticket.participants)]
    added = Event(ticket.id, who, "message.added", f"reply to {', '.join(recipients)}")
    deps.tickets.add_message(ticket, message, [added])
    return mail_reply(deps, ticket.id, message, actor=who)


def prepare_reply(
    deps: Dependencies,
    ticket: Ticket,
    *,
    author: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> Message:
    """The public message a reply is stored as, with the Message-ID it will be mailed under."""
    sender, _ = mailbox_identity(deps, ticket)
    return Message(
        ticket_id=ticket.id,
        kind=MessageKind.PUBLIC,
        author=author,
        text=text,
        html=sanitize_html(html) if html else "",
        attachments=tuple(attachments),
        mail_message_id=new_message_id(ticket.id, sender),
    )


def mail_reply(deps: Dependencies, ticket_id: str, message: Message, *, actor: str) -> SendResult:
    """Mail a reply already stored in the thread, and record ``mail.sent`` or ``mail.failed``."""
    thread = deps.tickets.thread(ticket_id)
    ticket = thread.ticket
    sender, brand = mailbox_identity(deps, ticket)
    ids = [
        m.mail_message_id
        for m in thread.messages
        if m.mail_message_id and m.mail_message_id != message.mail_message_id
    ]
    files = [
        OutboundFile(a.filename, a.content_type, deps.attachments().get(a.key))
        for a in message.attachments
    ]
    raw = compose(
        sender=sender,
        sender_name=brand,
        reply_to=sender,
        to=[ticket.requester],
        cc=sorted(ticket.participants),
        subject=f"[#{ticket.number}] Re: {ticket.subject}",
        text=message.text,
        html=message.html or None,
        message_id=message.mail_message_id or new_message_id(ticket.id, sender),
        in_reply_to=ids[-1] if ids else None,
        references=ids,
        token=thread_token(deps, ticket.id),
        files=files,
    )
    recipients = [ticket.requester, *sorted(ticket.participants)]
    provider_id: str | None = None
    error: str | None = None
    try:
        provider_id = send_with_retries(deps, sender=sender, to=recipients, message=raw)
    except MailNotSent as failure:
        error = str(failure)
    if error is None:
        event = Event(
            ticket.id, actor, "mail.sent", f"sent as {message.mail_message_id} ({provider_id})"
        )
    else:
        event = Event(ticket.id, actor, "mail.failed", f"not sent after retries: {error}")
    _record(deps, ticket_id, event)
    return SendResult(message, error is None, provider_id, error)


def _record(deps: Dependencies, ticket_id: str, event: Event) -> None:
    """Put what happened to a stored message's mail on the trail (the ticket is not changed, so
    a concurrent save of the ticket cannot make it fail)."""
    deps.tickets.record(ticket_id, [event])


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

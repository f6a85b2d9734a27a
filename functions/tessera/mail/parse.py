"""Inbound mail: raw MIME to the parts a ticket needs, with HTML sanitized.

This is the foundation's parser: headers, addresses, the text and HTML bodies, threading ids.
Charset repair, attachments, quoted-history stripping and loop detection build on it (see the
email channel issue); the seams are :func:`parse` and :class:`ParsedMail`.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

import nh3

MESSAGE_ID = re.compile(r"<[^<>\s]+>")


class UnreadableMail(ValueError):
    """The bytes are not a mail Tessera can make a ticket of; the reason says why."""


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    sender: str
    sender_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    text: str
    html: str  # sanitized

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this mail answers, most specific first (In-Reply-To, then References
        newest to oldest)."""
        seen: dict[str, None] = dict.fromkeys(self.in_reply_to)
        seen.update(dict.fromkeys(reversed(self.references)))
        return tuple(seen)


def parse(raw: bytes) -> ParsedMail:
    """Parse raw MIME. Raises :class:`UnreadableMail` when there is no usable sender."""
    if not raw.strip():
        raise UnreadableMail("the message is empty")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    name, sender = parseaddr(_header(message, "From"))
    if "@" not in sender:
        raise UnreadableMail(f"no sender address in From: {_header(message, 'From')!r}")
    text, html = _bodies(message)
    clean_html = sanitize_html(html) if html else ""
    if not text and clean_html:
        text = nh3.clean(clean_html, tags=set()).strip()
    return ParsedMail(
        message_id=_first_id(_header(message, "Message-ID")),
        in_reply_to=tuple(MESSAGE_ID.findall(_header(message, "In-Reply-To"))),
        references=tuple(MESSAGE_ID.findall(_header(message, "References"))),
        subject=_header(message, "Subject"),
        sender=sender.lower(),
        sender_name=name,
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        text=text,
        html=clean_html,
    )


def sanitize_html(html: str) -> str:
    """Untrusted HTML to HTML safe to show in the console and portal (no script, no handlers,
    links made ``noopener noreferrer``)."""
    return nh3.clean(html, link_rel="noopener noreferrer nofollow")


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError):  # a malformed header the policy could not fold
        value = message.get_all(name, failobj=[""])[0] if message.get_all(name) else ""
    return " ".join(str(value or "").split())


def _first_id(value: str) -> str | None:
    found = MESSAGE_ID.findall(value)
    return found[0] if found else None


def _addresses(message: EmailMessage, name: str) -> tuple[str, ...]:
    pairs = getaddresses([str(v) for v in message.get_all(name, [])])
    return tuple(addr.lower() for _, addr in pairs if "@" in addr)


def _bodies(message: EmailMessage) -> tuple[str, str]:
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    return _content(text_part), _content(html_part)


def _content(part: object) -> str:
    if not isinstance(part, EmailMessage):
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # unknown charset or broken transfer encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content.strip() if isinstance(content, str) else ""

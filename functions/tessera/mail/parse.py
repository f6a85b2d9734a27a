"""Inbound mail: raw MIME to the parts a ticket needs, best effort and never a crash.

Real mail is messy: mislabelled charsets (``gb2312`` that is really GBK, ``us-ascii`` that is
UTF-8), raw 8-bit headers, broken base64, missing boundaries, reports from mail servers. The
parser reads with the tolerant ``compat32`` policy and decodes every header and body itself, so
a bad part costs that part's fidelity, never the mail. Only a mail without any usable sender is
refused (:class:`UnreadableMail`): there is nobody to make a ticket for.

What it gives (:class:`ParsedMail`): decoded headers and addresses, threading ids, the full text,
a display text without quoted history and signature, sanitized HTML (nh3), attachments and inline
``cid:`` images with their bytes, and what a delivery report says (bounced recipients, the
Message-ID of the mail that bounced).
"""

from __future__ import annotations

import codecs
import email
import html as html_lib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.header import decode_header
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parseaddr

import nh3

MESSAGE_ID = re.compile(r"<[^<>\s]+>")
MAX_DEPTH = 12  # nested multiparts deeper than this are a bomb, not a mail

# Labels mail software writes for a charset Python knows under a wider name. Decoding with the
# superset is what every mail client does (gb2312 mail is nearly always GBK, ks_c_5601 is cp949).
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "utf-8",  # mislabelled UTF-8 is common; true ASCII decodes the same
    "ascii": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "utf-8",
    "unknown-8bit": "utf-8",
}


class UnreadableMail(ValueError):
    """The bytes are not a mail Tessera can make a ticket of; the reason says why."""


@dataclass(frozen=True)
class MailAttachment:
    """A file part of the mail (or an inline image referenced as ``cid:<content_id>``)."""

    filename: str
    content_type: str
    data: bytes
    content_id: str | None = None  # without the angle brackets
    inline: bool = False


@dataclass(frozen=True)
class DeliveryReport:
    """What a ``multipart/report`` (a bounce) says."""

    failed_recipients: tuple[str, ...]
    original_message_id: str | None
    status: str


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
    text: str  # the full text, quoted history included
    html: str  # sanitized
    display_text: str = ""  # without quoted history and signature (falls back to ``text``)
    delivered_to: tuple[str, ...] = ()
    reply_to: tuple[str, ...] = ()
    return_path: str | None = None  # None: no Return-Path header; "": the null sender <>
    headers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # lower-case names
    attachments: tuple[MailAttachment, ...] = ()
    report: DeliveryReport | None = None
    defects: tuple[str, ...] = ()

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this mail answers, most specific first (In-Reply-To, then References
        newest to oldest)."""
        seen: dict[str, None] = dict.fromkeys(self.in_reply_to)
        seen.update(dict.fromkeys(reversed(self.references)))
        return tuple(seen)

    def header(self, name: str) -> str:
        """The first value of a header, decoded ("" when absent)."""
        values = self.headers.get(name.lower(), ())
        return values[0] if values else ""


# ------------------------------------------------------------------------------ decoding


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes in a declared (possibly wrong or unknown) charset to text, never raising.

    The declared charset first (through the aliases above), then UTF-8 (the usual truth behind
    a wrong label), then the declared charset or windows-1252 with replacement characters.
    """
    declared = _codec(charset)
    for candidate in (declared, "utf-8"):
        if candidate is None:
            continue
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode(declared or "cp1252", "replace")


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip('"').lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        codecs.lookup(name)
    except (LookupError, ValueError):  # ValueError: a name with a NUL byte in it
        return None
    return name


def decode_words(value: str, fallback_charset: str | None = None) -> str:
    """A raw header value (RFC 2047 encoded words, or raw 8-bit bytes) to text."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):  # raw 8-bit bytes kept as surrogates
        value = decode_bytes(value.encode("ascii", "surrogateescape"), fallback_charset)
    if "=?" not in value:
        return _unfold(value)
    try:
        chunks = decode_header(value)
    except (HeaderParseError, ValueError, LookupError, AssertionError):  # broken encoded word
        return _unfold(_ENCODED_WORD.sub(_one_word, value))
    words = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            words.append(chunk)
        elif charset is None:
            words.append(chunk.decode("raw-unicode-escape", "replace"))
        else:
            words.append(decode_bytes(chunk, charset))
    return _unfold("".join(words))


_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def _one_word(match: re.Match[str]) -> str:
    """One encoded word decoded on its own, or left as it is when it is broken."""
    try:
        ((chunk, charset),) = decode_header(match.group(0))
    except (HeaderParseError, ValueError, LookupError, AssertionError):
        return match.group(0)
    if isinstance(chunk, str):
        return chunk
    return decode_bytes(chunk, charset)


def _unfold(value: str) -> str:
    return " ".join(value.split())


# ------------------------------------------------------------------------------- parsing


def parse(raw: bytes) -> ParsedMail:
    """Parse raw MIME. Raises :class:`UnreadableMail` only when there is no usable sender."""
    if not raw.strip():
        raise UnreadableMail("the message is empty")
    message = email.message_from_bytes(raw, policy=compat32)
    hint = _charset_hint(message)
    headers: dict[str, list[str]] = {}
    raw_headers: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        key = name.strip().lower()
        text = value if isinstance(value, str) else str(value)
        raw_headers.setdefault(key, []).append(text)
        headers.setdefault(key, []).append(decode_words(text, hint))

    from_pairs = _address_pairs(raw_headers.get("from", []), hint)
    sender_name, sender = from_pairs[0] if from_pairs else ("", "")
    if not sender:
        sender_name, sender = _sender_of_last_resort(raw_headers, hint)
    if not sender:
        shown = headers.get("from", [""])[0]
        raise UnreadableMail(f"no sender address in From: {shown!r}")

    walker = _Walker(hint)
    walker.visit(message, 0)
    text = "\n\n".join(t for t in walker.texts if t)
    raw_html = "\n".join(walker.htmls)
    clean_html = sanitize_html(raw_html) if raw_html.strip() else ""
    if not text and raw_html:
        text = html_to_text(raw_html)
    return_path = None
    if "return-path" in headers:
        return_path = parseaddr(headers["return-path"][0])[1].lower()
    return ParsedMail(
        message_id=_first_id(headers.get("message-id", [""])[0]),
        in_reply_to=tuple(MESSAGE_ID.findall(" ".join(headers.get("in-reply-to", [])))),
        references=tuple(MESSAGE_ID.findall(" ".join(headers.get("references", [])))),
        subject=headers.get("subject", [""])[0],
        sender=sender,
        sender_name=sender_name,
        to=_addresses(raw_headers, "to", hint),
        cc=_addresses(raw_headers, "cc", hint),
        text=text,
        html=clean_html,
        display_text=strip_quoted(text),
        delivered_to=_addresses(raw_headers, "delivered-to", hint)
        + _addresses(raw_headers, "x-original-to", hint),
        reply_to=_addresses(raw_headers, "reply-to", hint),
        return_path=return_path,
        headers={k: tuple(v) for k, v in headers.items()},
        attachments=tuple(walker.attachments),
        report=walker.report(),
        defects=tuple(walker.defects + [type(d).__name__ for d in message.defects]),
    )


def _charset_hint(message: Message) -> str | None:
    """The charset raw 8-bit headers are most likely in: the first declared body charset."""
    for part in message.walk():
        charset = part.get_content_charset()
        if charset and _codec(charset):
            return charset
    return None


def _address_pairs(values: list[str], hint: str | None) -> list[tuple[str, str]]:
    """(display name, lower-case address) pairs. Split on the raw value first, so a comma
    inside an encoded display name cannot split an address in two."""
    pairs = []
    raw = [decode_bytes(v.encode("ascii", "surrogateescape"), hint) for v in values]
    for name, address in getaddresses(raw):
        address = address.strip().lower()
        if "@" in address.strip("@") and " " not in address:
            pairs.append((decode_words(name, hint), address))
    return pairs


def _addresses(raw_headers: dict[str, list[str]], name: str, hint: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a for _, a in _address_pairs(raw_headers.get(name, []), hint)))


def _sender_of_last_resort(raw_headers: dict[str, list[str]], hint: str | None) -> tuple[str, str]:
    """A From that getaddresses cannot read (``Dana <dana@x.test`` ...): the first address-like
    token of From, Sender or Reply-To."""
    for name in ("from", "sender", "reply-to"):
        for value in raw_headers.get(name, []):
            text = decode_words(value, hint)
            found = re.search(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", text)
            if found:
                return "", found.group(0).lower()
    return "", ""


def _first_id(value: str) -> str | None:
    found = MESSAGE_ID.findall(value)
    return found[0] if found else None


class _Walker:
    """Collects the body texts, HTML, attachments and report parts of a MIME tree."""

    def __init__(self, hint: str | None) -> None:
        self.hint = hint
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.attachments: list[MailAttachment] = []
        self.defects: list[str] = []
        self.failed: list[str] = []
        self.original_id: str | None = None
        self.status = ""
        self.is_report = False

    def report(self) -> DeliveryReport | None:
        if not self.is_report:
            return None
        return DeliveryReport(tuple(dict.fromkeys(self.failed)), self.original_id, self.status)

    def visit(self, part: Message, depth: int) -> None:
        if depth > MAX_DEPTH:
            self.defects.append("nesting too deep: rest ignored")
            return
        try:
            content_type = part.get_content_type()
        except (ValueError, IndexError, TypeError):
            content_type = "application/octet-stream"
        if content_type == "multipart/report":
            self.is_report = True
        if content_type in {"message/rfc822", "message/global"}:
            self._message(part, depth)
        elif content_type == "message/delivery-status":
            self._delivery_status(part)
        elif part.is_multipart():
            payload = part.get_payload()
            for sub in payload if isinstance(payload, list) else []:
                if isinstance(sub, Message):
                    self.visit(sub, depth + 1)
        else:
            self._leaf(part, content_type)

    def _leaf(self, part: Message, content_type: str) -> None:
        filename = self._filename(part)
        try:
            disposition = part.get_content_disposition()
        except (ValueError, IndexError, TypeError):
            disposition = None
        data = self._payload(part)
        if content_type == "text/rfc822-headers" and self.is_report:
            self._original_headers(data)
        body_type = content_type in {"text/plain", "text/html"} or (
            content_type.startswith("multipart/")  # a multipart whose boundary never came
        )
        if body_type and disposition != "attachment" and not filename:
            text = decode_bytes(data, part.get_content_charset() or self.hint)
            text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
            (self.htmls if content_type == "text/html" else self.texts).append(text)
            return
        if not data and not filename:
            return
        content_id = _first_id(decode_words(str(part.get("Content-ID", ""))))
        if content_id is None and part.get("Content-ID"):
            content_id = f"<{str(part.get('Content-ID')).strip()}>"
        self.attachments.append(
            MailAttachment(
                filename=filename or _default_name(content_type, len(self.attachments) + 1),
                content_type=content_type,
                data=data,
                content_id=content_id.strip("<>") if content_id else None,
                inline=disposition == "inline" or (disposition is None and content_id is not None),
            )
        )

    def _payload(self, part: Message) -> bytes:
        try:
            data = part.get_payload(decode=True)
        except (ValueError, TypeError, LookupError, AssertionError):
            data = None
        if isinstance(data, bytes):
            return data
        raw = part.get_payload()
        if isinstance(raw, str):
            return raw.encode("utf-8", "surrogateescape")
        self.defects.append("a part without a readable payload")
        return b""

    def _filename(self, part: Message) -> str:
        try:
            name = part.get_filename()
        except (ValueError, IndexError, TypeError, LookupError):
            name = None
        if not name:
            return ""
        decoded = decode_words(str(name), self.hint)
        # A name is shown and used as a download name: no paths, no control characters.
        cleaned = re.sub(r"[\x00-\x1f\x7f/\\]+", "_", decoded).strip(" .")
        return cleaned[:200]

    def _message(self, part: Message, depth: int) -> None:
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(inner, Message):
            self._leaf(part, "application/octet-stream")
            return
        if self.is_report:
            self.original_id = self.original_id or _first_id(str(inner.get("Message-ID", "")))
        try:
            data = inner.as_bytes(policy=compat32)
        except (ValueError, LookupError, TypeError, UnicodeError):
            data = b""
            self.defects.append("an attached message could not be re-serialized")
        subject = decode_words(str(inner.get("Subject", "") or ""), self.hint)
        name = re.sub(r"[\x00-\x1f\x7f/\\]+", "_", subject)[:80].strip(" .") or "message"
        self.attachments.append(MailAttachment(f"{name}.eml", "message/rfc822", data))

    def _delivery_status(self, part: Message) -> None:
        blocks = part.get_payload()
        if isinstance(blocks, list):  # the parser split the status into header blocks
            data = "\n\n".join(str(b) for b in blocks)
        else:
            data = self._payload(part).decode("utf-8", "replace")
        for block in re.split(r"\r?\n\r?\n", data):
            fields = email.message_from_string(block.strip(), policy=compat32)
            action = str(fields.get("Action", "")).strip().lower()
            recipient = str(
                fields.get("Final-Recipient", "") or fields.get("Original-Recipient", "")
            )
            address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
            if action == "failed" and "@" in address:
                self.failed.append(address)
                self.status = self.status or str(fields.get("Status", "")).strip()
        self.is_report = True

    def _original_headers(self, data: bytes) -> None:
        fields = email.message_from_bytes(data, policy=compat32)
        self.original_id = self.original_id or _first_id(str(fields.get("Message-ID", "")))


def _default_name(content_type: str, index: int) -> str:
    extension = {
        "image/png": ".png",
        "image/jpeg": ".jpg",
        "image/gif": ".gif",
        "application/pdf": ".pdf",
        "text/plain": ".txt",
        "text/html": ".html",
        "text/calendar": ".ics",
        "text/rfc822-headers": ".txt",
    }.get(content_type, ".bin")
    return f"part-{index}{extension}"


# ------------------------------------------------------------------------- HTML and text


def sanitize_html(html: str) -> str:
    """Untrusted HTML to HTML safe to show in the console and portal: no script, no event
    handlers, no ``javascript:`` or ``data:`` URLs, no SVG; links ``noopener noreferrer``.
    ``cid:`` stays, so a page can swap in the inline image's attachment link."""
    return nh3.clean(
        html,
        link_rel="noopener noreferrer nofollow",
        url_schemes=nh3.ALLOWED_URL_SCHEMES | {"cid"},
    )


_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</(p|div|li|tr|h[1-6]|blockquote|table)>")


def html_to_text(html: str) -> str:
    """A readable text version of an HTML body (script and style contents dropped)."""
    text = nh3.clean(_BLOCK_END.sub("\n", html), tags=set())
    lines = (" ".join(line.split()) for line in html_lib.unescape(text).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# The first line of quoted history, in the shapes mail clients write it (several languages).
_REPLY_HEADER = re.compile(
    r"(?im)^\s*("
    r"on\b.{0,200}\bwrote:\s*$"  # Gmail, Apple Mail, Thunderbird (en)
    r"|-{2,}\s*original message\s*-{2,}"  # Outlook
    r"|_{20,}\s*$"  # Outlook's rule before its From:/Sent: block
    r"|from:\s.+\n\s*(sent|date):\s"  # Outlook block without the rule
    r"|le\b.{0,200}\ba écrit\s*:\s*$"
    r"|am\b.{0,200}\bschrieb.{0,80}:\s*$"
    r"|el\b.{0,200}\bescribió:\s*$"
    r"|στις\b.{0,200}έγραψε:\s*$"
    r"|.{0,200}نوشت\s*:\s*$"
    r"|在.{0,200}写道\s*[:：]\s*$"
    r"|.{0,200}のメッセージ\s*[:：]\s*$"
    r"|-{5,}\s*(forwarded message|weitergeleitete nachricht)"
    r"|##- .* -##"  # the reply marker Tessera puts in its own mail
    r")"
)
_SIGNATURE = re.compile(
    r"(?m)^(-- ?$|sent from my \w+|get outlook for \w+|envoyé de mon \w+|ارسال شده از)",
    re.IGNORECASE,
)


def strip_quoted(text: str) -> str:
    """The new part of a reply: quoted history and signature removed. The full text is kept
    elsewhere; when stripping would leave nothing, this is the full text."""
    cut = text
    header = _REPLY_HEADER.search(cut)
    if header is not None:
        cut = cut[: header.start()]
    signature = _SIGNATURE.search(cut)
    if signature is not None:
        cut = cut[: signature.start()]
    lines = cut.rstrip().splitlines()
    while lines and (lines[-1].lstrip().startswith(">") or not lines[-1].strip()):
        lines.pop()
    stripped = "\n".join(lines).strip()
    return stripped or text.strip()

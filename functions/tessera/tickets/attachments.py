"""Files on tickets through the API: presigned uploads bound to a ticket, attached to a reply,
and downloads for whoever may see the ticket.

- **Upload**: :func:`request_upload` checks the name, type and size up front and signs an S3 POST
  to ``uploads/<ticket id>/<attachment id>``; the POST policy pins that key, the content type,
  ``Content-Disposition: attachment`` and the size range, so S3 refuses anything else.
- **Attach**: a reply names the attachment ids it carries; :func:`uploaded` finds each under
  *this* ticket's prefix (the key is built here from the ticket, never taken from the client),
  checks it is there and within the limits, and returns the :class:`Attachment` to store.
- **Download**: :func:`download` looks the id up among the messages the principal may see
  (customers: the public ones) and signs a short-lived GET that answers as a download with the
  stored content type. An id of another ticket, or of an internal note for a customer, is a 404
  like an id that does not exist.

Mail attachments (``mail/<sha256>``, stored by intake) are downloaded the same way; their id is
the hash.

Files for a ticket not opened yet (a customer attaches them on the new-ticket form) are uploaded
first, to ``uploads/new/<the caller's key>/<attachment id>``, and named in the create: they ride
on the ticket's first message. The caller's key is a hash of the caller's address, so one
caller's uploads cannot be named in another's create.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tessera.errors import Forbidden, NotFound, ValidationFailed
from tessera.identity.access import Principal
from tessera.ports import Dependencies
from tessera.tickets import reading
from tessera.tickets.model import Attachment, Status, Ticket, new_id

MAX_BYTES = 20 * 1024 * 1024  # as large as a mail may carry; larger files belong in a share
MAX_PER_REPLY = 10
UPLOAD_TTL = 15 * 60  # seconds a presigned upload stays valid
DOWNLOAD_TTL = 5 * 60  # seconds a download link stays valid
UPLOAD_PREFIX = "uploads/"
# What customers and agents exchange; active content (HTML, scripts, executables) is refused.
ALLOWED_TYPES = frozenset(
    {
        "application/pdf",
        "application/zip",
        "application/json",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "text/plain",
        "text/csv",
        "message/rfc822",
    }
)
ATTACHMENT_ID = re.compile(r"^([0-9A-HJKMNP-TV-Z]{26}|[0-9a-f]{64})$")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class Upload:
    attachment: str  # the id a reply names in ``attachments``
    url: str
    fields: dict[str, str]
    expires_in: int
    max_size: int


@dataclass(frozen=True)
class Download:
    url: str
    filename: str
    content_type: str
    size: int
    expires_in: int


def upload_key(ticket_id: str, attachment: str) -> str:
    return f"{UPLOAD_PREFIX}{ticket_id}/{attachment}"


def new_ticket_upload_key(principal: Principal, attachment: str) -> str:
    owner = hashlib.sha256(principal.email.encode()).hexdigest()[:32]
    return f"{UPLOAD_PREFIX}new/{owner}/{attachment}"


def attachment_id(key: str) -> str:
    """The id clients use for a stored file: the last part of its key (a ULID or a SHA-256)."""
    return key.rsplit("/", 1)[-1]


def clean_filename(filename: str) -> str:
    name = _UNSAFE_NAME.sub("_", filename).strip().strip(".")
    if not name:
        raise ValidationFailed("filename", "must name a file")
    return name[:255]


def check_file(content_type: str, size: int, *, field: str = "") -> None:
    prefix = f"{field}." if field else ""
    if content_type not in ALLOWED_TYPES:
        raise ValidationFailed(f"{prefix}content_type", "is not a file type tickets accept")
    if not 1 <= size <= MAX_BYTES:
        raise ValidationFailed(f"{prefix}size", f"must be 1 to {MAX_BYTES} bytes")


def request_upload(
    deps: Dependencies,
    principal: Principal,
    ticket_id: str,
    *,
    filename: str,
    content_type: str,
    size: int,
) -> Upload:
    """A presigned S3 POST for one file of a ticket the principal may see (and still open)."""
    ticket = reading.find_ticket(deps, principal, ticket_id)
    _check_open(ticket)
    return _presign(
        deps, lambda attachment: upload_key(ticket.id, attachment), filename, content_type, size
    )


def request_new_ticket_upload(
    deps: Dependencies, principal: Principal, *, filename: str, content_type: str, size: int
) -> Upload:
    """A presigned S3 POST for one file of the ticket the caller is about to open."""
    if principal.ticket_scope is not None:
        raise Forbidden("a ticket link session can only see its own ticket")
    return _presign(
        deps,
        lambda attachment: new_ticket_upload_key(principal, attachment),
        filename,
        content_type,
        size,
    )


def _presign(
    deps: Dependencies, key_of: Callable[[str], str], filename: str, content_type: str, size: int
) -> Upload:
    name = clean_filename(filename)
    check_file(content_type, size)
    attachment = new_id()
    presigned = deps.file_transfers().presign_upload(
        key_of(attachment),
        filename=name,
        content_type=content_type,
        max_size=size,
        expires_in=UPLOAD_TTL,
    )
    return Upload(attachment, presigned.url, presigned.fields, UPLOAD_TTL, size)


def uploaded(
    deps: Dependencies, principal: Principal, ticket_id: str, attachments: Sequence[str]
) -> tuple[Attachment, ...]:
    """The files uploaded to this ticket under ``attachments`` (ids from :func:`request_upload`),
    each checked to be there and within the limits; a field-naming ValidationFailed otherwise."""
    if not attachments:
        return ()
    ticket = reading.find_ticket(deps, principal, ticket_id)
    return _files(deps, attachments, lambda attachment: upload_key(ticket.id, attachment))


def uploaded_for_new_ticket(
    deps: Dependencies, principal: Principal, attachments: Sequence[str]
) -> tuple[Attachment, ...]:
    """The files the caller uploaded for the ticket they are opening
    (:func:`request_new_ticket_upload`), checked as :func:`uploaded` checks a reply's."""
    return _files(
        deps, attachments, lambda attachment: new_ticket_upload_key(principal, attachment)
    )


def _files(
    deps: Dependencies, attachments: Sequence[str], key_of: Callable[[str], str]
) -> tuple[Attachment, ...]:
    if len(attachments) > MAX_PER_REPLY:
        raise ValidationFailed("attachments", f"at most {MAX_PER_REPLY} files per message")
    files = []
    for index, attachment in enumerate(dict.fromkeys(attachments)):
        field = f"attachments[{index}]"
        if not ATTACHMENT_ID.match(attachment):
            raise ValidationFailed(field, "is not an attachment id")
        stored = deps.file_transfers().describe(key_of(attachment))
        if stored is None:
            raise ValidationFailed(field, "was not uploaded here")
        check_file(stored.content_type, stored.size, field=field)
        files.append(
            Attachment(
                key=stored.key,
                filename=clean_filename(stored.filename),
                content_type=stored.content_type,
                size=stored.size,
            )
        )
    return tuple(files)


def download(deps: Dependencies, principal: Principal, ticket_id: str, attachment: str) -> Download:
    """A short-lived download link for a file on a message the principal may see."""
    thread = reading.thread_for(deps, principal, ticket_id)
    for message in thread.messages:
        for file in message.attachments:
            if attachment_id(file.key) == attachment:
                # Mail may carry any type; one that a browser would run or render as a page
                # (text/html, image/svg+xml, ...) is handed out as bytes, never as itself.
                content_type = (
                    file.content_type
                    if file.content_type in ALLOWED_TYPES
                    else "application/octet-stream"
                )
                url = deps.file_transfers().presign_download(
                    file.key,
                    filename=file.filename,
                    content_type=content_type,
                    expires_in=DOWNLOAD_TTL,
                )
                return Download(url, file.filename, content_type, file.size, DOWNLOAD_TTL)
    raise NotFound("no such attachment")


def _check_open(ticket: Ticket) -> None:
    if ticket.status is Status.CLOSED:
        raise ValidationFailed("ticket", "is closed; open a new ticket instead")

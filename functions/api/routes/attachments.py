"""Files on tickets: presigned uploads (bound to the ticket) and download links."""

from __future__ import annotations

from typing import Any

from api import schemas
from api.endpoints import CUSTOMERS, Call
from api.service import TICKET_PATH, endpoint
from tessera import bootstrap
from tessera.tickets import attachments

_LIMITS = (
    f"At most {attachments.MAX_BYTES} bytes ({attachments.MAX_BYTES // (1024 * 1024)} MiB) "
    f"per file and {attachments.MAX_PER_REPLY} files per reply; the types in `content_type`'s "
    "enum. The S3 POST policy enforces the declared size and type, and the upload link expires "
    f"after {attachments.UPLOAD_TTL} s."
)
UPLOAD_REQUEST = {
    **schemas.obj(
        {
            "filename": {"type": "string", "minLength": 1, "maxLength": 255},
            "content_type": {"type": "string", "enum": sorted(attachments.ALLOWED_TYPES)},
            "size": {"type": "integer", "minimum": 1, "maximum": attachments.MAX_BYTES},
        },
        ["filename", "content_type", "size"],
    ),
    "description": _LIMITS,
}
UPLOAD = schemas.obj(
    {
        "upload_id": schemas.ATTACHMENT_ID,
        "url": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        "expires_in": {"type": "integer"},
        "max_size": {"type": "integer"},
    },
    ["upload_id", "url", "fields", "expires_in", "max_size"],
)
DOWNLOAD = schemas.obj(
    {
        "url": {"type": "string"},
        "filename": {"type": "string"},
        "content_type": {"type": "string"},
        "size": {"type": "integer"},
        "expires_in": {"type": "integer"},
    },
    ["url", "filename", "content_type", "size", "expires_in"],
)


@endpoint(
    "POST",
    "/api/tickets/{ticket_id}/attachments",
    roles=CUSTOMERS,
    tag="attachments",
    path_params=TICKET_PATH,
    body=UPLOAD_REQUEST,
    summary=(
        "Upload a file to a ticket: a presigned S3 POST (send `fields` and then the file as "
        "multipart/form-data to `url`); then name its `upload_id` in a reply's `attachments` "
        "(200, not 201: nothing exists until the file is uploaded and a reply names it). " + _LIMITS
    ),
    responses={200: UPLOAD},
)
def request_upload(call: Call, ticket_id: str) -> dict[str, Any]:
    upload = attachments.request_upload(
        bootstrap.dependencies(),
        call.caller,
        ticket_id,
        filename=call.body["filename"],
        content_type=call.body["content_type"],
        size=call.body["size"],
    )
    return _upload_json(upload)


def _upload_json(upload: attachments.Upload) -> dict[str, Any]:
    return {
        "upload_id": upload.attachment,
        "url": upload.url,
        "fields": upload.fields,
        "expires_in": upload.expires_in,
        "max_size": upload.max_size,
    }


@endpoint(
    "POST",
    "/api/attachments",
    roles=CUSTOMERS,
    tag="attachments",
    body=UPLOAD_REQUEST,
    summary=(
        "Upload a file for a ticket you are about to open: a presigned S3 POST as above; then "
        "name its `upload_id` in the new ticket's `attachments` (it rides on the first message)"
    ),
    responses={200: UPLOAD},
)
def request_new_ticket_upload(call: Call) -> dict[str, Any]:
    upload = attachments.request_new_ticket_upload(
        bootstrap.dependencies(),
        call.caller,
        filename=call.body["filename"],
        content_type=call.body["content_type"],
        size=call.body["size"],
    )
    return _upload_json(upload)


@endpoint(
    "GET",
    "/api/tickets/{ticket_id}/attachments/{attachment}",
    roles=CUSTOMERS,
    tag="attachments",
    path_params={**TICKET_PATH, "attachment": schemas.ATTACHMENT_ID},
    summary=(
        "A short-lived download link for a file of the ticket's thread (served with "
        "Content-Disposition: attachment, never inline); customers reach public messages only"
    ),
    responses={200: DOWNLOAD},
)
def download(call: Call, ticket_id: str, attachment: str) -> dict[str, Any]:
    link = attachments.download(bootstrap.dependencies(), call.caller, ticket_id, attachment)
    return {
        "url": link.url,
        "filename": link.filename,
        "content_type": link.content_type,
        "size": link.size,
        "expires_in": link.expires_in,
    }

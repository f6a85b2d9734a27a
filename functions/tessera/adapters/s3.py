"""S3: raw inbound mail where the receipt rule stored it, ticket files in the attachments
bucket (stored as downloads, moved by browsers with presigned requests), and the published
knowledge base in the portal bucket.

Signing makes no AWS call: the URLs carry the function role's credentials, so the role needs
``s3:PutObject`` on ``uploads/*`` (browsers upload with the POST) and ``s3:GetObject`` on the
objects it hands out (template.yaml, ApiFunction).
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from tessera.adapters.clients import client
from tessera.errors import NotFound
from tessera.kb.site import Page
from tessera.ports import PresignedUpload, StoredFile


def read_object(bucket: str, key: str) -> bytes:
    """An S3 object's bytes; NotFound when there is no such key."""
    s3 = client("s3")
    try:
        body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        raise NotFound(f"s3://{bucket}/{key}") from None
    return body


class S3RawMailStore:
    """Raw MIME where the SES receipt rule's S3 action stored it."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def read(self, key: str) -> bytes:
        return read_object(self.bucket, key)

    def delete(self, key: str) -> None:
        client("s3").delete_object(Bucket=self.bucket, Key=key)


class S3AttachmentStore:
    """Ticket files in the attachments bucket, served later as downloads only."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def put(self, key: str, data: bytes, *, content_type: str, filename: str) -> None:
        client("s3").put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            # Stored as a download whatever the sender claimed: never rendered inline by S3.
            ContentType=content_type if "/" in content_type else "application/octet-stream",
            ContentDisposition=f"attachment; filename*=UTF-8''{quote(filename)}",
        )

    def get(self, key: str) -> bytes:
        return read_object(self.bucket, key)

    def delete(self, key: str) -> None:
        client("s3").delete_object(Bucket=self.bucket, Key=key)


def disposition(filename: str) -> str:
    """A download, never inline, with the name in RFC 6266/5987 form (any script survives)."""
    return f"attachment; filename*=UTF-8''{quote(filename, safe='')}"


class S3FileTransfers:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def presign_upload(
        self, key: str, *, filename: str, content_type: str, max_size: int, expires_in: int
    ) -> PresignedUpload:
        fields = {
            "Content-Type": content_type,
            "Content-Disposition": disposition(filename),
            "x-amz-meta-filename": quote(filename, safe=""),
        }
        conditions: list[object] = [{name: value} for name, value in fields.items()]
        conditions.append(["content-length-range", 1, max_size])
        post = client("s3").generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields=fields,
            Conditions=conditions,
            ExpiresIn=expires_in,
        )
        return PresignedUpload(url=str(post["url"]), fields=dict(post["fields"]))

    def presign_download(
        self, key: str, *, filename: str, content_type: str, expires_in: int
    ) -> str:
        url = client("s3").generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": disposition(filename),
                "ResponseContentType": content_type,
            },
            ExpiresIn=expires_in,
        )
        return str(url)

    def describe(self, key: str) -> StoredFile | None:
        s3 = client("s3")
        try:
            head = s3.head_object(Bucket=self.bucket, Key=key)
        except s3.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise
        metadata = head.get("Metadata") or {}
        return StoredFile(
            key=key,
            size=int(head["ContentLength"]),
            content_type=str(head.get("ContentType") or "application/octet-stream"),
            filename=unquote(str(metadata.get("filename") or key.rsplit("/", 1)[-1])),
        )


class S3SiteStore:
    """The portal bucket, where the knowledge base is published
    (:class:`tessera.kb.site.SiteStore`)."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def put(self, key: str, page: Page) -> None:
        client("s3").put_object(
            Bucket=self.bucket,
            Key=key,
            Body=page.body,
            ContentType=page.content_type,
            CacheControl=page.cache_control,
        )

    def keys(self, prefix: str) -> list[str]:
        found: list[str] = []
        for listing in (
            client("s3")
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.bucket, Prefix=prefix)
        ):
            found += [item["Key"] for item in listing.get("Contents", [])]
        return found

    def digests(self, prefix: str) -> dict[str, str]:
        # A single-part upload's ETag is the MD5 of its bytes (SSE-S3 keeps it so); a multipart
        # one's is not, and never matches: that object is simply written again.
        found: dict[str, str] = {}
        for listing in (
            client("s3")
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.bucket, Prefix=prefix)
        ):
            for item in listing.get("Contents", []):
                found[item["Key"]] = str(item.get("ETag", "")).strip('"')
        return found

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            client("s3").delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in chunk]}
            )

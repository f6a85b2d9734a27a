"""Presigned transfers with the attachments bucket (:class:`tessera.ports.FileTransfers`).

Signing makes no AWS call: the URLs carry the function role's credentials, so the role needs
``s3:PutObject`` on ``uploads/*`` (browsers upload with the POST) and ``s3:GetObject`` on the
objects it hands out (template.yaml, ApiFunction).
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from tessera.adapters.aws import client
from tessera.ports import PresignedUpload, StoredFile


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

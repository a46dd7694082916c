"""Attachment files in an S3-compatible object store (AWS S3, MinIO, Ceph, Cloudflare R2), with
boto3: for a deployment of several app machines, which must not keep files on one of them.

Set ``SUPPORT_ATTACHMENT_S3_BUCKET`` (and where needed ``..._PREFIX``, ``..._ENDPOINT_URL``,
``..._REGION``); credentials come from boto3's usual places (environment, shared files, the
machine's role). Or pass ``storage=S3Storage(...)`` to ``MarketplaceSupport`` with a client of
your own.

Uploads are streamed in parts (a few parts in memory at a time, however large the file);
a file being read is written to a spooled temporary file first (at most ``SPOOL_BYTES`` in
memory, the rest on local disk), so it can be checked and sent like a local one.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import IO, Any

from .storage import AttachmentStorage, check_key

#: the part size of uploads and downloads, and the parts moved at once
PART_BYTES = 8 * 1024 * 1024
PARTS_AT_ONCE = 2
#: how much of a file being read stays in memory; the rest goes to a temporary file
SPOOL_BYTES = 1024 * 1024

_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Storage(AttachmentStorage):
    """Files as objects ``<prefix><key>`` in ``bucket``."""

    def __init__(self, bucket: str, prefix: str = "", client: Any = None) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig

        self.bucket, self.prefix = bucket, prefix
        self.client = client if client is not None else boto3.client("s3")
        self.transfer = TransferConfig(
            multipart_threshold=PART_BYTES,
            multipart_chunksize=PART_BYTES,
            max_concurrency=PARTS_AT_ONCE,
            max_io_queue=PARTS_AT_ONCE,
        )
        # s3transfer reads ahead up to 10 parts of an upload by default (80 MB here)
        self.transfer.max_in_memory_upload_chunks = PARTS_AT_ONCE
        self.transfer.max_in_memory_download_chunks = PARTS_AT_ONCE

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> S3Storage:
        """The storage ``SUPPORT_ATTACHMENT_S3_*`` describe."""
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=config.get("SUPPORT_ATTACHMENT_S3_ENDPOINT_URL") or None,
            region_name=config.get("SUPPORT_ATTACHMENT_S3_REGION") or None,
        )
        return cls(
            config["SUPPORT_ATTACHMENT_S3_BUCKET"],
            config.get("SUPPORT_ATTACHMENT_S3_PREFIX") or "",
            client,
        )

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def save(self, key: str, stream: IO[bytes]) -> None:
        # a multipart upload that fails is aborted by boto3: no object appears under the name
        self.client.upload_fileobj(stream, self.bucket, self._name(key), Config=self.transfer)

    def open(self, key: str) -> IO[bytes]:
        # returned open: the caller reads and closes it
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        try:
            self.client.download_fileobj(self.bucket, self._name(key), spool, Config=self.transfer)
        except Exception as error:
            spool.close()
            if _error_code(error) in _MISSING:
                raise FileNotFoundError(key) from error
            raise
        spool.seek(0)
        return spool

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def download_url(
        self, key: str, disposition: str, content_type: str, seconds: int
    ) -> str | None:
        """A presigned GET of the object, answered with the module's download headers."""
        return str(
            self.client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": self._name(key),
                    "ResponseContentDisposition": disposition,
                    "ResponseContentType": content_type,
                    "ResponseCacheControl": "private, no-cache",
                },
                ExpiresIn=seconds,
            )
        )

    def stored(self) -> Iterator[tuple[str, datetime]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", ()):
                key = item["Key"][len(self.prefix) :]
                try:
                    check_key(key)
                except ValueError:
                    continue  # not one of ours (the bucket is shared)
                yield key, item["LastModified"]


def _error_code(error: Exception) -> str | None:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    return str(response.get("Error", {}).get("Code"))

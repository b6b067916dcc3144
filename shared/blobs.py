"""Blob storage port and its S3 adapter (raw downloads, transformed datasets, message archive)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from shared import aws

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore(Protocol):
    """Stores bytes under keys; keys of raw inputs are content-addressed."""

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...

    def get(self, key: str) -> bytes: ...

    def chunks(self, key: str) -> Iterator[bytes]:
        """The object's bytes in pieces, for objects too large to hold whole."""
        ...

    def exists(self, key: str) -> bool: ...


class S3BlobStore:
    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        self.bucket = bucket
        self.s3 = client or aws.client("s3")

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def chunks(self, key: str) -> Iterator[bytes]:
        yield from self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].iter_chunks(1 << 20)

    def exists(self, key: str) -> bool:
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
        except self.s3.exceptions.ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True


class MemoryBlobStore:
    """An in-memory fake for unit tests."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.objects[key] = data

    def get(self, key: str) -> bytes:
        return self.objects[key]

    def chunks(self, key: str) -> Iterator[bytes]:
        data = self.objects[key]
        yield from (data[i:i + 7] for i in range(0, len(data), 7))  # small pieces: joins are tested

    def exists(self, key: str) -> bool:
        return key in self.objects

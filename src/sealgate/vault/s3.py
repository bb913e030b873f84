"""Blobs as objects in an S3-compatible store (AWS S3, MinIO, Ceph RGW, …), through boto3.

Several gateway processes on several machines share one bucket, where a filesystem folder
would tie them to one machine. Only ciphertext reaches the store: the vault encrypts before
`write` and decrypts after `open`, so the store's operator never sees content or keys.

A blob is visible only once complete: a small one is one PUT, a large one a multipart upload
whose parts stay invisible until CompleteMultipartUpload, which S3 applies atomically; a write
that fails aborts its upload. Memory stays at one part (`part_size`) however large the blob:
`write` uploads part by part from the chunk iterator, and `open` returns the response body as
a stream. Errors are the ones the vault's callers already handle for the filesystem store:
FileNotFoundError for a missing blob, ValueError for a malformed id, OSError (BlobStoreError)
when the store cannot be reached or refuses.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, BinaryIO, cast
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from sealgate.vault.blobs import BLOB_ID, StoredBlob

log = logging.getLogger("sealgate.vault")

# S3 requires every part but the last to be at least 5 MiB; 8 MiB keeps memory low and the
# number of requests for a 150 MB message near twenty.
DEFAULT_PART_SIZE = 8 * 1024 * 1024
MIN_PART_SIZE = 5 * 1024 * 1024
MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


class BlobStoreError(OSError):
    """The object store could not be reached or refused a request (said without its URL)."""


@dataclass(frozen=True)
class S3Location:
    """Where blobs go: a bucket and a key prefix ("" or ending in "/")."""

    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> S3Location:
        """`s3://bucket` or `s3://bucket/some/prefix` -> bucket, "some/prefix/"."""
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError("a blob URL looks like s3://bucket/prefix")
        if parts.query or parts.fragment or "@" in parts.netloc:
            raise ValueError("a blob URL has no query, fragment or credentials")
        prefix = parts.path.strip("/")
        return cls(parts.netloc, f"{prefix}/" if prefix else "")


def s3_client(
    endpoint_url: str = "",
    region: str = "",
    access_key_id: str = "",
    secret_access_key: str = "",
    *,
    quick: bool = False,
) -> Any:
    """A boto3 S3 client; empty settings fall back to boto3's own chain (environment, shared
    credentials file, instance role). Path-style addressing suits MinIO, Ceph and moto.

    `quick`: one attempt with short time limits, for the readiness probe, so that a silent
    store answers within the probe's time and leaves no thread retrying behind it."""
    session = boto3.session.Session(
        aws_access_key_id=access_key_id or None,
        aws_secret_access_key=secret_access_key or None,
        region_name=region or None,
    )
    # Checksums only where S3 requires them with another endpoint: several S3-compatible
    # servers refuse boto's newer default ones, and the vault's AEAD checks every blob anyway.
    checksums = "when_required" if endpoint_url else "when_supported"
    config = Config(
        s3={"addressing_style": "path"} if endpoint_url else {},
        retries={"max_attempts": 1 if quick else 5, "mode": "standard"},
        connect_timeout=2 if quick else 5,
        read_timeout=2 if quick else 60,
        # Delivery workers, intake and the portal's downloads share one client.
        max_pool_connections=32,
        request_checksum_calculation=checksums,
        response_checksum_validation=checksums,
    )
    return session.client("s3", endpoint_url=endpoint_url or None, config=config)


class S3BlobStore:
    """Blobs as objects `<prefix><blob id>` in one bucket."""

    def __init__(
        self,
        client: Any,
        location: S3Location,
        part_size: int = DEFAULT_PART_SIZE,
        probe_client: Any = None,
    ) -> None:
        """`probe_client` (default: `client`) is the one `check` asks: a quick one."""
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"an S3 part is at least {MIN_PART_SIZE} bytes")
        self.client = client
        self.probe_client = probe_client or client
        self.location = location
        self.part_size = part_size

    def _key(self, blob_id: str) -> str:
        if not BLOB_ID.match(blob_id):
            raise ValueError(f"not a blob id: {blob_id!r}")
        return self.location.prefix + blob_id

    def write(self, blob_id: str, chunks: Iterable[bytes]) -> int:
        """Upload the blob from `chunks`, holding at most one part in memory; visible (and
        durable, as S3 acknowledges only stored objects) when this returns."""
        key = self._key(blob_id)
        buffer = bytearray()
        iterator = iter(chunks)
        for chunk in iterator:
            buffer += chunk
            if len(buffer) >= self.part_size:
                return self._multipart(key, buffer, iterator)
        with _mapped(f"storing blob {blob_id}"):
            self.client.put_object(Bucket=self.location.bucket, Key=key, Body=bytes(buffer))
        return len(buffer)

    def _multipart(self, key: str, buffer: bytearray, rest: Iterator[bytes]) -> int:
        bucket = self.location.bucket
        with _mapped("starting a multipart upload"):
            upload_id = self.client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        parts: list[dict[str, Any]] = []
        size = 0

        def upload(data: bytes) -> None:
            number = len(parts) + 1
            with _mapped(f"uploading part {number}"):
                answer = self.client.upload_part(
                    Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
                )
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})

        def drain() -> None:
            nonlocal size
            while len(buffer) >= self.part_size:
                with memoryview(buffer) as view:  # one copy of the part, not two
                    part = bytes(view[: self.part_size])
                del buffer[: self.part_size]
                upload(part)
                size += len(part)
                del part

        try:
            drain()
            for chunk in rest:
                buffer += chunk
                drain()
            if buffer or not parts:
                upload(bytes(buffer))
                size += len(buffer)
            with _mapped("completing a multipart upload"):
                self.client.complete_multipart_upload(
                    Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
                )
        except BaseException:
            # A failed write (the store, or an error in `chunks`) leaves no object, and no
            # parts that would be billed until a lifecycle rule removed them.
            try:
                self.client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
            except (BotoCoreError, ClientError) as exc:
                log.warning("could not abort a multipart upload: %s", type(exc).__name__)
            raise
        return size

    def open(self, blob_id: str) -> BinaryIO:
        """The blob as a stream read from the response body; FileNotFoundError if absent."""
        key = self._key(blob_id)
        try:
            answer = self.client.get_object(Bucket=self.location.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in MISSING_CODES:
                raise FileNotFoundError(f"no blob {blob_id}") from None
            raise BlobStoreError(f"reading blob {blob_id}: the store said {_code(exc)}") from None
        except BotoCoreError as exc:
            raise BlobStoreError(f"reading blob {blob_id}: {type(exc).__name__}") from None
        return cast(BinaryIO, io.BufferedReader(_BodyReader(answer["Body"]), 64 * 1024))

    def delete(self, blob_id: str) -> None:
        """Remove a blob; removing one that is not there is not an error (as on S3 itself)."""
        key = self._key(blob_id)
        with _mapped(f"deleting blob {blob_id}"):
            self.client.delete_object(Bucket=self.location.bucket, Key=key)

    def ids(self) -> Iterator[str]:
        """The ids of the blobs in the store now, in sorted order (S3 lists keys sorted)."""
        return (stored.id for stored in self.listing())

    def listing(self) -> Iterator[StoredBlob]:
        """The blobs in the store now, sorted by id, each with its size and S3 time."""
        paginator = self.client.get_paginator("list_objects_v2")
        prefix = self.location.prefix
        with _mapped("listing blobs"):
            for page in paginator.paginate(Bucket=self.location.bucket, Prefix=prefix):
                for item in page.get("Contents", ()):
                    name = str(item["Key"])[len(prefix) :]
                    if BLOB_ID.match(name):
                        yield StoredBlob(name, int(item["Size"]), item["LastModified"])

    def server_time(self) -> datetime | None:
        """The store's own clock now (the `Date` of a one-key listing), or None if it sends
        none: what a blob's `LastModified` is compared with, since both come from that clock
        and the gateway's may differ from it."""
        with _mapped("reading the store's time"):
            answer = self.client.list_objects_v2(
                Bucket=self.location.bucket, Prefix=self.location.prefix, MaxKeys=1
            )
        date = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
        try:
            return parsedate_to_datetime(date) if date else None
        except (TypeError, ValueError):
            return None

    def describe(self) -> str:
        """`s3://bucket/prefix/`: where the blobs are, without endpoint or credentials."""
        return f"s3://{self.location.bucket}/{self.location.prefix}"

    def check(self) -> str:
        """ "ok", or one sentence (no URL, no credentials) on why the bucket cannot be used:
        for /readyz. Lists at most one key under the prefix, so read permission is proven."""
        try:
            self.probe_client.list_objects_v2(
                Bucket=self.location.bucket, Prefix=self.location.prefix, MaxKeys=1
            )
        except ClientError as exc:
            code = _code(exc)
            if code == "NoSuchBucket":
                return "the blob bucket does not exist"
            if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                return "the blob store refuses the configured credentials"
            return f"the blob store answered an error ({code})"
        except BotoCoreError as exc:
            return f"the blob store does not answer ({type(exc).__name__})"
        return "ok"


class _BodyReader(io.RawIOBase):
    """A botocore response body as a raw stream, so the vault reads it as it would a file."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._body.read(len(buffer))
        except BotoCoreError as exc:
            raise BlobStoreError(f"reading a blob: {type(exc).__name__}") from None
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "unknown"))


@contextmanager
def _mapped(doing: str) -> Iterator[None]:
    """Turn boto's errors into BlobStoreError (an OSError) naming what was being done."""
    try:
        yield
    except ClientError as exc:
        raise BlobStoreError(f"{doing}: the store said {_code(exc)}") from None
    except BotoCoreError as exc:
        raise BlobStoreError(f"{doing}: {type(exc).__name__}") from None

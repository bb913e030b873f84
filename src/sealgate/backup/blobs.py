"""The blobs of a backup: which ones a snapshot needs, hashed (and copied) as a stream.

Which blobs: every blob in the store once the snapshot is established, less the ones the
snapshot's rows have handed to retention for deletion (`retention_blobs`). The rows name
the raw submissions, readable forms and queued mails; attachments and inline images are
named only inside the encrypted readable form, which a backup never decrypts. Every blob a
row of the snapshot needs was written before that row was committed, so before the snapshot
began: it is in the listing made after it, unless deleted since (then reported as missing).

With blobs on S3 the manifest is also a promise about the bucket (a restore checks that each
listed blob is there, unchanged), so a blob written after the snapshot began is left out:
S3 stamps each object with its own clock (`LastModified`), and the store is asked its time
(`Date`) once the snapshot is established. A blob stamped later than that, by more than
`CLOCK_SLACK` (whole seconds in `Date`, clocks of several S3 nodes), was written after the
snapshot and no row of it names it. Leaving it out keeps a restore from refusing over a blob
that only later rows needed and that was deleted since (a reaped message, a failed intake).

Memory: a blob passes through in `CHUNK`-sized pieces, hashed on the way; never whole.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from sealgate.backup.manifest import (
    BackupError,
    BlobEntry,
    HashingWriter,
    Manifest,
    blob_file,
    file_digest,
    read_chunks,
)
from sealgate.vault import HEADER, BlobStore, ListedBlobStore, key_id_of

CLOCK_SLACK = timedelta(minutes=5)
FILESYSTEM = "filesystem"


def listable(store: BlobStore) -> ListedBlobStore:
    """The store, if it can list what it holds (the filesystem and S3 stores can)."""
    if not isinstance(store, ListedBlobStore):
        raise BackupError(f"backup does not know the blob store {type(store).__name__}")
    return store


def describe_store(store: BlobStore) -> str:
    """`filesystem`, or `s3://bucket/prefix/` (never the endpoint or a credential)."""
    return listable(store).describe()


def listing_bound(store: BlobStore, slack: timedelta = CLOCK_SLACK) -> datetime | None:
    """Asked once the snapshot is established: the latest time a blob of the snapshot can
    have been stored at, by the store's clock (None: every blob listed counts; so for the
    filesystem store, and an S3 store that gives no time)."""
    now = listable(store).server_time()
    return None if now is None else now + slack


def listed_blobs(store: BlobStore, not_after: datetime | None, left_out: set[str]) -> list[str]:
    """The ids of the blobs to back up: in the store now, not in `left_out`, and (with a
    bound) stored no later than `not_after`; sorted."""
    return [
        stored.id
        for stored in listable(store).listing()
        if stored.id not in left_out and (not_after is None or stored.modified <= not_after)
    ]


def back_up_blob(store: BlobStore, blob_id: str, folder: Path | None) -> BlobEntry | None:
    """Hash one blob's stored bytes, copying them to `folder` unless None; None when it
    vanished after the listing (a failed write's clean-up, retention)."""
    try:
        source = store.open(blob_id)
    except FileNotFoundError:
        return None
    with source:
        if folder is None:
            size, digest = file_digest(read_chunks(source))
            return BlobEntry(blob_id, size, digest)
        target = blob_file(folder, blob_id)
        target.parent.mkdir(mode=0o700, exist_ok=True)
        writer = HashingWriter(target)
        try:
            for chunk in read_chunks(source):
                writer.write(chunk)
        finally:
            digest = writer.close()
    return BlobEntry(blob_id, writer.size, digest)


def check_in_store(store: BlobStore, manifest: Manifest, key_ids: set[str]) -> None:
    """Each blob the manifest lists is in `store` with its size and sha256, wrapped by a
    key in use: for a backup that holds no blobs. BackupError naming the first that is not."""
    where = describe_store(store)
    for blob in manifest.blobs:
        try:
            source = store.open(blob.id)
        except FileNotFoundError:
            raise BackupError(
                f"blob {blob.id} of the backup is missing from the blob store ({where});"
                " nothing was restored"
            ) from None
        with source:
            header = source.read(HEADER)
            size, digest = file_digest(_prefixed(header, read_chunks(source)))
        if size != blob.size or digest != blob.sha256:
            raise BackupError(
                f"blob {blob.id} in the blob store ({where}) does not match the backup's"
                " manifest (altered?); nothing was restored"
            )
        if key_id_of(header).hex() not in key_ids:
            raise BackupError(f"blob {blob.id} in the blob store is wrapped by another master key")


def _prefixed(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _verified_chunks(folder: Path, blob: BlobEntry) -> Iterator[bytes]:
    """The blob's bytes from the backup; raises at the end if they changed since the check."""
    digest = hashlib.sha256()
    with open(blob_file(folder, blob.id), "rb") as handle:
        for chunk in read_chunks(handle):
            digest.update(chunk)
            yield chunk
    if digest.hexdigest() != blob.sha256:
        raise BackupError(f"backup blob {blob.id} changed during the restore")


def copy_into_store(folder: Path, manifest: Manifest, store: BlobStore) -> int:
    """Write every blob of the backup folder into `store` (a file, or an S3 object uploaded
    part by part); how many."""
    for blob in manifest.blobs:
        try:
            store.write(blob.id, _verified_chunks(folder, blob))
        except BackupError:
            store.delete(blob.id)
            raise
    return len(manifest.blobs)

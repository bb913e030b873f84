"""Which blob store a gateway uses: the `[storage]` settings decide, in one place."""

from __future__ import annotations

from pathlib import Path

from sealgate.config import StorageSettings
from sealgate.vault.blobs import BlobStore, FilesystemBlobStore


def open_blob_store(storage: StorageSettings, data_dir: Path) -> BlobStore:
    """`blob_url = "s3://bucket/prefix"`: an S3-compatible store; empty: `<data_dir>/blobs`,
    created 0700 (the gateway's alone). boto3 is imported only when S3 is configured, so a
    single-machine install starts no faster or slower for it."""
    if not storage.blob_url:
        (data_dir / "blobs").mkdir(mode=0o700, exist_ok=True)
        return FilesystemBlobStore(data_dir / "blobs")
    from sealgate.vault.s3 import S3BlobStore, S3Location, s3_client

    where = (
        storage.s3_endpoint_url,
        storage.s3_region,
        storage.s3_access_key_id,
        storage.s3_secret_access_key.get_secret_value(),
    )
    return S3BlobStore(
        s3_client(*where),
        S3Location.parse(storage.blob_url),
        probe_client=s3_client(*where, quick=True),
    )

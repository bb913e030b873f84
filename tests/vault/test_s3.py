"""The S3 blob store against a real S3-compatible server (moto's, on loopback)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from sealgate.config import StorageSettings
from sealgate.vault import FilesystemBlobStore, ListedBlobStore, MasterKey, Vault
from sealgate.vault.s3 import BlobStoreError, S3BlobStore, S3Location
from sealgate.vault.stores import open_blob_store
from tests.lab.s3_lab import S3Lab

FIRST, SECOND = "ab" + "0" * 30, "cd" + "1" * 30
PART = 5 * 1024 * 1024


@pytest.fixture
def bucket(s3_lab: S3Lab) -> str:
    return s3_lab.new_bucket()


@pytest.fixture
def store(s3_lab: S3Lab, bucket: str) -> S3BlobStore:
    return S3BlobStore(s3_lab.client(), S3Location(bucket, "gw/"), part_size=PART)


def small_chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_a_multi_megabyte_blob_round_trips_in_small_chunks(store, s3_lab, bucket) -> None:
    """12 MiB written 64 KiB at a time goes up as a multipart upload (three parts of at most
    5 MiB) and reads back byte-identical from the streamed body, in small reads."""
    data = os.urandom(12 * 1024 * 1024 + 123)
    assert store.write(FIRST, small_chunks(data)) == len(data)
    assert store.write(SECOND, [b"small", b" one"]) == 9
    assert s3_lab.keys(bucket) == [f"gw/{FIRST}", f"gw/{SECOND}"]
    with store.open(FIRST) as handle:
        pieces = []
        while piece := handle.read(100_000):
            pieces.append(piece)
    assert b"".join(pieces) == data
    assert store.open(SECOND).read() == b"small one"
    assert list(store.ids()) == [FIRST, SECOND]
    store.delete(FIRST)
    store.delete(FIRST)  # removing an absent blob is not an error, as on the filesystem
    assert list(store.ids()) == [SECOND]
    with pytest.raises(FileNotFoundError):
        store.open(FIRST)


def test_ids_lists_only_blobs_under_the_prefix(store, s3_lab, bucket) -> None:
    client = s3_lab.client()
    client.put_object(Bucket=bucket, Key=f"other/{FIRST}", Body=b"x")
    client.put_object(Bucket=bucket, Key="gw/not-a-blob", Body=b"x")
    store.write(SECOND, [b"y"])
    assert list(store.ids()) == [SECOND]


def test_the_listing_gives_sizes_and_times_from_the_store_clock(store, s3_lab, bucket) -> None:
    """What a backup compares: each blob's LastModified and the store's own time, both from
    the store's clock, whole seconds, timezone-aware."""
    before = store.server_time()
    store.write(FIRST, [b"12345"])
    after = store.server_time()
    assert before is not None and after is not None and before.tzinfo is not None
    [listed] = store.listing()
    assert (listed.id, listed.size) == (FIRST, 5)
    assert before - timedelta(seconds=1) <= listed.modified <= after + timedelta(seconds=1)
    assert store.describe() == f"s3://{bucket}/gw/"


def test_a_missing_blob_is_file_not_found_and_a_bad_id_a_value_error(store) -> None:
    with pytest.raises(FileNotFoundError):
        store.open(FIRST)
    with pytest.raises(ValueError):
        store.open("../etc/passwd")
    with pytest.raises(ValueError):
        store.write("ABC", [b"x"])


def test_a_failed_write_leaves_no_object_and_no_upload(store, s3_lab, bucket) -> None:
    """An error in the chunk iterator after the first part aborts the multipart upload."""

    def chunks() -> Iterator[bytes]:
        yield os.urandom(PART + 10)
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        store.write(FIRST, chunks())
    assert s3_lab.keys(bucket) == []
    uploads = s3_lab.client().list_multipart_uploads(Bucket=bucket)
    assert uploads.get("Uploads", []) == []


def test_the_vault_encrypts_before_the_store(store, s3_lab, bucket) -> None:
    vault = Vault(MasterKey(os.urandom(32)), store)
    plaintext = b"Dear Bob, your lab results. " * 20000
    blob_id = vault.put(small_chunks(plaintext, 4096))
    stored = s3_lab.client().get_object(Bucket=bucket, Key=f"gw/{blob_id}")["Body"].read()
    assert b"lab results" not in stored
    assert vault.get_bytes(blob_id) == plaintext


def test_an_unreachable_store_is_an_os_error_and_check_says_so(tmp_path, bucket) -> None:
    from tests.conftest import free_port

    settings = StorageSettings(
        blob_url=f"s3://{bucket}/gw",
        s3_endpoint_url=f"http://127.0.0.1:{free_port()}",
        s3_access_key_id="k",
        s3_secret_access_key="s",
        s3_region="us-east-1",
    )
    store = open_blob_store(settings, tmp_path)
    assert isinstance(store, S3BlobStore)
    with pytest.raises(BlobStoreError):
        store.write(FIRST, [b"x"])
    started = time.monotonic()
    sentence = store.check()
    assert time.monotonic() - started < 2  # one attempt: a refused connection is at once
    assert sentence.startswith("the blob store does not answer")
    assert "127.0.0.1" not in sentence


def test_check_names_a_missing_bucket_without_the_url(s3_lab) -> None:
    store = S3BlobStore(s3_lab.client(), S3Location("no-such-bucket-here", ""))
    assert store.check() == "the blob bucket does not exist"
    assert S3BlobStore(s3_lab.client(), S3Location(s3_lab.new_bucket(), "p/")).check() == "ok"


def test_the_factory_picks_the_store_from_the_settings(tmp_path, s3_lab, bucket) -> None:
    local = open_blob_store(StorageSettings(), tmp_path)
    assert isinstance(local, FilesystemBlobStore) and (tmp_path / "blobs").is_dir()
    remote = open_blob_store(
        StorageSettings(
            blob_url=f"s3://{bucket}/a/b/",
            s3_endpoint_url=s3_lab.endpoint_url,
            s3_access_key_id="k",
            s3_secret_access_key="s",
            s3_region="us-east-1",
        ),
        tmp_path / "elsewhere",
    )
    assert isinstance(remote, S3BlobStore) and remote.location == S3Location(bucket, "a/b/")
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize(
    "url", ["http://bucket/x", "s3://", "s3://key:secret@bucket/x", "s3://bucket/x?y=1"]
)
def test_a_malformed_blob_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError):
        StorageSettings(blob_url=url)
    with pytest.raises(ValueError):
        S3Location.parse(url)


def test_a_large_write_holds_about_one_part_in_memory(store) -> None:
    """40 MiB streamed in 64 KiB chunks: the process never holds more than a few parts
    (traced Python allocations), so a 150 MB message costs no 150 MB here."""
    import tracemalloc

    block = os.urandom(64 * 1024)
    blocks = 40 * 16

    def chunks() -> Iterator[bytes]:
        for _ in range(blocks):
            yield block

    tracemalloc.start()
    try:
        written = store.write(FIRST, chunks())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert written == len(block) * blocks
    assert peak < 4 * PART, f"peak {peak / 2**20:.1f} MiB"
    with store.open(FIRST) as handle:
        assert sum(len(piece) for piece in iter(lambda: handle.read(1 << 20), b"")) == written


def test_the_s3_store_is_a_listed_store(store) -> None:
    assert isinstance(store, ListedBlobStore)

"""The filesystem blob store: no `.part` file outlives a failed write or a crash."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sealgate.vault import FilesystemBlobStore, ListedBlobStore
from sealgate.vault.blobs import STALE_PART_SECONDS

BLOB_ID = "ab" + "0" * 30


def test_a_failed_write_leaves_no_part_file(tmp_path: Path) -> None:
    """Issue 8 item 9: `.part` files are removed when a write fails."""
    store = FilesystemBlobStore(tmp_path / "blobs")

    def chunks() -> Iterator[bytes]:
        yield b"ciphertext" * 1000
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        store.write(BLOB_ID, chunks())
    assert [path.name for path in (tmp_path / "blobs").rglob("*") if path.is_file()] == []
    # The same id can be written afterwards.
    assert store.write(BLOB_ID, [b"ok"]) == 2


def test_stale_part_files_are_swept_when_the_store_opens(tmp_path: Path) -> None:
    """Issue 8 item 9: `.part` files a crashed write left behind are removed at start; a
    young one (another process may be writing it) stays."""
    root = tmp_path / "blobs"
    (root / "ab").mkdir(parents=True)
    stale, young = root / "ab" / f"{BLOB_ID}.part", root / "ab" / ("ab" + "1" * 30 + ".part")
    stale.write_bytes(b"half a blob")
    young.write_bytes(b"being written")
    past = time.time() - STALE_PART_SECONDS - 60
    os.utime(stale, (past, past))
    store = FilesystemBlobStore(root)
    assert not stale.exists() and young.exists()
    assert store.write(BLOB_ID, [b"whole"]) == 5


def test_the_listing_gives_each_blob_its_size_and_says_it_has_no_clock(tmp_path: Path) -> None:
    """What a backup reads: ids, sizes and times; no store time, so every blob is listed."""
    store = FilesystemBlobStore(tmp_path / "blobs")
    first, second = "ab" + "0" * 30, "cd" + "1" * 30
    store.write(second, [b"four"])
    store.write(first, [b"12", b"345"])
    (tmp_path / "blobs" / "ab" / (first[:-1] + "x.part")).write_bytes(b"half")
    listed = list(store.listing())
    assert [(blob.id, blob.size) for blob in listed] == [(first, 5), (second, 4)]
    assert all(blob.modified.tzinfo is not None for blob in listed)
    assert store.server_time() is None and store.describe() == "filesystem"
    assert isinstance(store, ListedBlobStore)

"""The push-style blob writer: pieces in, one durable blob out, or nothing at all."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path

import pytest

from sealgate.vault import BlobWriterClosed, FilesystemBlobStore, MasterKey, Vault


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return Vault(MasterKey(secrets.token_bytes(32)), FilesystemBlobStore(tmp_path / "blobs"))


def _files(vault: Vault) -> list[Path]:
    return sorted(vault.store.root.glob("*/*"))  # type: ignore[attr-defined]


def test_pieces_become_one_blob_that_reads_back_whole(vault: Vault) -> None:
    pieces = [os.urandom(n) for n in (1, 70_000, 0, 200_000, 65_536)]
    writer = vault.writer()
    for piece in pieces:
        writer.write(piece)
    blob_id = writer.close()
    assert writer.size == sum(map(len, pieces))
    assert vault.get_bytes(blob_id) == b"".join(pieces)
    assert [p.name for p in _files(vault)] == [blob_id]
    with pytest.raises(BlobWriterClosed):
        writer.write(b"more")


def test_abort_leaves_nothing_before_or_after_close(vault: Vault) -> None:
    writer = vault.writer()
    writer.write(os.urandom(300_000))
    writer.abort()
    assert _files(vault) == []
    closed = vault.writer()
    closed.write(b"done")
    closed.close()
    closed.abort()  # a blob whose row could not be written: removed after all
    assert _files(vault) == []


class _FailingStore(FilesystemBlobStore):
    def write(self, blob_id: str, chunks: Iterable[bytes]) -> int:
        for _ in chunks:
            raise OSError("disk full")
        return 0


def test_a_failing_store_surfaces_at_write_or_close(tmp_path: Path) -> None:
    vault = Vault(MasterKey(secrets.token_bytes(32)), _FailingStore(tmp_path / "blobs"))
    writer = vault.writer()
    with pytest.raises(BlobWriterClosed):
        for _ in range(100):
            writer.write(b"x" * 65_536)
        writer.close()

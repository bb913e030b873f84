"""Blob stores: where encrypted blobs live. Only ciphertext ever reaches a store."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Protocol

_BLOB_ID = re.compile(r"^[0-9a-f]{32}$")


class BlobStore(Protocol):
    def write(self, blob_id: str, chunks: Iterable[bytes]) -> int: ...
    def open(self, blob_id: str) -> BinaryIO: ...
    def delete(self, blob_id: str) -> None: ...


class FilesystemBlobStore:
    """Blobs as files under a folder, written to a temporary name, fsynced, then renamed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, blob_id: str) -> Path:
        if not _BLOB_ID.match(blob_id):
            raise ValueError(f"not a blob id: {blob_id!r}")
        return self.root / blob_id[:2] / blob_id

    def write(self, blob_id: str, chunks: Iterable[bytes]) -> int:
        path = self._path(blob_id)
        path.parent.mkdir(exist_ok=True)
        temporary = path.with_suffix(".part")
        size = 0
        with open(temporary, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                size += len(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return size

    def open(self, blob_id: str) -> BinaryIO:
        return open(self._path(blob_id), "rb")

    def delete(self, blob_id: str) -> None:
        self._path(blob_id).unlink(missing_ok=True)

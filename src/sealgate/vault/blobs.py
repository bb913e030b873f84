"""Blob stores: where encrypted blobs live. Only ciphertext ever reaches a store."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

BLOB_ID = re.compile(r"^[0-9a-f]{32}$")
# A `.part` file older than this was left by a write that died (a crash, a full disk): no
# write takes this long, so a younger one may still belong to another process at work.
STALE_PART_SECONDS = 3600.0

log = logging.getLogger("sealgate.vault")


class BlobStore(Protocol):
    def write(self, blob_id: str, chunks: Iterable[bytes]) -> int: ...
    def open(self, blob_id: str) -> BinaryIO: ...
    def delete(self, blob_id: str) -> None: ...


@dataclass(frozen=True)
class StoredBlob:
    """One blob as a store lists it: its id, size in bytes and when it was stored (the
    store's clock, timezone-aware)."""

    id: str
    size: int
    modified: datetime


@runtime_checkable
class ListedBlobStore(BlobStore, Protocol):
    """A store that can say what it holds: what backup needs (both stores here are one)."""

    def listing(self) -> Iterator[StoredBlob]: ...
    def server_time(self) -> datetime | None: ...
    def describe(self) -> str: ...


class FilesystemBlobStore:
    """Blobs as files under a folder, written to a temporary name, fsynced, then renamed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.sweep_parts(time.time() - STALE_PART_SECONDS)

    def sweep_parts(self, older_than: float) -> int:
        """Delete `.part` files last written before `older_than` (epoch seconds); how many."""
        removed = 0
        for part in self.root.glob("*/*.part"):
            try:
                if part.stat().st_mtime < older_than:
                    part.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        if removed:
            log.warning("removed %d stale .part blob files under %s", removed, self.root)
        return removed

    def _path(self, blob_id: str) -> Path:
        if not BLOB_ID.match(blob_id):
            raise ValueError(f"not a blob id: {blob_id!r}")
        return self.root / blob_id[:2] / blob_id

    def write(self, blob_id: str, chunks: Iterable[bytes]) -> int:
        path = self._path(blob_id)
        path.parent.mkdir(exist_ok=True)
        temporary = path.with_suffix(".part")
        size = 0
        try:
            with open(temporary, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                    size += len(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            # A failed write (disk full, an error in `chunks`) leaves no half-written file.
            temporary.unlink(missing_ok=True)
            raise
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return size

    def open(self, blob_id: str) -> BinaryIO:
        return open(self._path(blob_id), "rb")

    def ids(self) -> Iterator[str]:
        """The ids of the blobs in the store now (never a `.part` file), in sorted order."""
        for folder in sorted(self.root.iterdir()):
            if folder.is_dir() and len(folder.name) == 2:
                for path in sorted(folder.iterdir()):
                    if BLOB_ID.match(path.name) and path.name.startswith(folder.name):
                        yield path.name

    def listing(self) -> Iterator[StoredBlob]:
        """The blobs in the store now, sorted by id, each with its size and file time."""
        for blob_id in self.ids():
            try:
                facts = self._path(blob_id).stat()
            except FileNotFoundError:
                continue
            yield StoredBlob(blob_id, facts.st_size, datetime.fromtimestamp(facts.st_mtime, UTC))

    def server_time(self) -> datetime | None:
        """None: a backup lists every blob of a folder, whatever its time (key rotation
        rewrites headers in place, so a file's time is not when its blob was stored)."""
        return None

    def describe(self) -> str:
        return "filesystem"

    def path_of(self, blob_id: str) -> Path:
        """Where a blob's file is: for backup, restore and key rotation, which work on files."""
        return self._path(blob_id)

    def delete(self, blob_id: str) -> None:
        self._path(blob_id).unlink(missing_ok=True)

"""The backup manifest, and the private files a backup is made of.

`manifest.json` is written last: a folder without one is an unfinished backup, never
restored. It lists every table file and every blob with its size and sha256, so a restore
checks the whole backup before it writes anything: the blob files in the folder or, for a
backup that left its blobs on S3 (`blobs_included` false), the objects in the bucket.

Format version 2 added `blob_store` and `blobs_included`; a version 1 manifest is read as a
filesystem backup with its blobs included, which is what every version 1 backup is.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

FORMAT = "sealgate-backup"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup cannot be made or restored."""


@dataclass(frozen=True)
class TableEntry:
    name: str
    rows: int
    file: str
    sha256: str
    columns: dict[str, str]


@dataclass(frozen=True)
class BlobEntry:
    id: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    created_at: str
    revision: str
    dialect: str
    master_key_id: str
    tables: list[TableEntry]
    blobs: list[BlobEntry]
    missing_blobs: list[str] = field(default_factory=list)
    # Where the blobs were: "filesystem", or "s3://bucket/prefix/" (no endpoint, no secret).
    blob_store: str = "filesystem"
    # Whether the blob files are in the backup folder (else: only listed, left in the store).
    blobs_included: bool = True
    format: str = FORMAT
    format_version: int = FORMAT_VERSION
    master_key_included: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        try:
            value = json.loads(text)
            if value.get("format") != FORMAT:
                raise BackupError("not a sealgate backup (manifest.json has another format)")
            if value.get("format_version") not in READABLE_VERSIONS:
                raise BackupError(
                    f"backup format version {value.get('format_version')} is not supported"
                    f" (this sealgate reads versions {READABLE_VERSIONS[0]} to {FORMAT_VERSION})"
                )
            if not isinstance(value.get("blobs_included", True), bool):
                raise ValueError("blobs_included is not true or false")
            value["tables"] = [TableEntry(**entry) for entry in value["tables"]]
            value["blobs"] = [BlobEntry(**entry) for entry in value["blobs"]]
            return cls(**value)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise BackupError(f"manifest.json is unreadable: {exc}") from None

    def summary(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "created_at": self.created_at,
            "tables": {entry.name: entry.rows for entry in self.tables},
            "rows": sum(entry.rows for entry in self.tables),
            "blobs": len(self.blobs),
            "blob_bytes": sum(entry.size for entry in self.blobs),
            "blob_store": self.blob_store,
            "blobs_included": self.blobs_included,
            "master_key_id": self.master_key_id,
            "master_key_included": False,
        }


def private_file(path: Path) -> BinaryIO:
    """A new file only its owner may read (0600); an existing one is an error."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def private_folder(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def fsync_folder(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class HashingWriter:
    """A private file that counts and hashes what is written; durable when closed."""

    def __init__(self, path: Path) -> None:
        self._handle = private_file(path)
        self._digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._handle.write(data)
        self._digest.update(data)
        self.size += len(data)

    def close(self) -> str:
        """Flush and fsync; the sha256 of what was written, hex."""
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        return self._digest.hexdigest()


def read_chunks(handle: BinaryIO) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK):
        yield chunk


def file_digest(chunks: Iterable[bytes]) -> tuple[int, str]:
    """Size and sha256 (hex) of a stream, read once."""
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def blob_file(root: Path, blob_id: str) -> Path:
    """Where a blob is in a backup folder: `blobs/<first two digits>/<id>`, as in the store."""
    return root / "blobs" / blob_id[:2] / blob_id

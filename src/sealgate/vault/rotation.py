"""Master key rotation on the blob files: each header's data key re-wrapped, in place.

Only a blob's header changes (key id, wrap nonce, wrapped data key: the first bytes of the
file); its segments, encrypted under the data key, stay as they are, so a rotation reads
and writes a few dozen bytes per blob, whatever its size.

Crash safety. The new key is on disk (`master.key.next`) before any header changes, and the
vault reads with both keys while that file exists, so a blob is readable whichever of the
two wraps it. A header is overwritten in place; in case that write is torn by a power cut,
the new header is first appended to a journal (`rotation.journal`, fsynced), and a resumed
rotation writes it again over any header that opens with neither key. The journal holds
wrapped data keys only, as the blobs themselves do.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from sealgate.vault.blobs import FilesystemBlobStore
from sealgate.vault.envelope import HEADER, MasterKey, VaultCorrupt, key_id_of, rewrap_header
from sealgate.vault.vault import MASTER_KEY_FILE, PENDING_KEY_FILE

JOURNAL_FILE = "rotation.journal"
BATCH = 256


class RotationError(Exception):
    """A key rotation cannot go on; the blobs stay readable with one of the two keys."""


def opens(key: MasterKey, blob_id: str, header: bytes) -> bool:
    """Whether `key` unwraps the data key in `header` (a check of its tag, nothing more)."""
    if key_id_of(header) != key.key_id:
        return False
    try:
        rewrap_header(key, key, blob_id, header, header[12:24])
    except VaultCorrupt:
        return False
    return True


def _read_header(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(HEADER)


def _write_header(path: Path, header: bytes) -> None:
    with open(path, "r+b") as handle:
        handle.write(header)
        handle.flush()
        os.fsync(handle.fileno())


class BlobRewrap:
    """Re-wrap the data key of every blob in a filesystem store from `old` to `new`."""

    def __init__(
        self, store: FilesystemBlobStore, old: MasterKey, new: MasterKey, journal: Path
    ) -> None:
        self.store, self.old, self.new, self.journal = store, old, new, journal

    def _journal_entries(self) -> Iterator[tuple[str, bytes]]:
        if not self.journal.exists():
            return
        for line in self.journal.read_text().splitlines():
            blob_id, _, header = line.partition(" ")
            if len(header) == 2 * HEADER:  # a torn last line was never acted on
                yield blob_id, bytes.fromhex(header)

    def repair(self) -> int:
        """Write the journaled header over each blob that opens with neither key; how many."""
        repaired = 0
        for blob_id, header in self._journal_entries():
            path = self.store.path_of(blob_id)
            if not path.exists():
                continue
            current = _read_header(path)
            if opens(self.new, blob_id, current) or opens(self.old, blob_id, current):
                continue
            if not opens(self.new, blob_id, header):
                raise RotationError(f"blob {blob_id}: journaled header does not open")
            _write_header(path, header)
            repaired += 1
        return repaired

    def apply(self, batch: list[tuple[str, bytes]]) -> None:
        """Journal the new headers (fsynced), then write each over its blob's."""
        if not batch:
            return
        with open(self.journal, "a", encoding="ascii") as journal:
            journal.writelines(f"{blob_id} {header.hex()}\n" for blob_id, header in batch)
            journal.flush()
            os.fsync(journal.fileno())
        for blob_id, header in batch:
            _write_header(self.store.path_of(blob_id), header)

    def run(self) -> int:
        """Re-wrap every blob still under the old key; how many were re-wrapped."""
        batch: list[tuple[str, bytes]] = []
        done = 0
        for blob_id in self.store.ids():
            header = _read_header(self.store.path_of(blob_id))
            if key_id_of(header) == self.new.key_id:
                continue
            try:
                nonce = secrets.token_bytes(12)
                batch.append((blob_id, rewrap_header(self.old, self.new, blob_id, header, nonce)))
            except VaultCorrupt as exc:
                raise RotationError(f"{exc}; nothing retired, the old key stays") from None
            if len(batch) >= BATCH:
                self.apply(batch)
                done, batch = done + len(batch), []
        self.apply(batch)
        return done + len(batch)

    def unopened(self) -> list[str]:
        """Blobs the new key does not open (after `run`, there should be none)."""
        return [
            blob_id
            for blob_id in self.store.ids()
            if not opens(self.new, blob_id, _read_header(self.store.path_of(blob_id)))
        ]


def write_key_file(path: Path, key: MasterKey) -> None:
    """A new key file, 0600, fsynced with its folder: durable before anything relies on it."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(base64.b64encode(key.to_bytes()).decode() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    fsync_folder(path.parent)


def fsync_folder(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class KeyRotation:
    """One rotation of the master key kept in `<data_dir>/master.key`, step by step.

    `master` is the key in that file; `pending` the keys read from `master.key.next` (the
    new key of an interrupted rotation, if any). The caller re-wraps its sealed rows between
    `rewrap_blobs` and `finish` (the vault knows no table).
    """

    def __init__(
        self,
        data_dir: Path,
        store: FilesystemBlobStore,
        master: MasterKey,
        pending: tuple[MasterKey, ...],
    ) -> None:
        self.data_dir, self.store, self.old = data_dir, store, master
        self.resumed = bool(pending)
        self.journal = data_dir / JOURNAL_FILE
        if not pending:
            # A journal without a pending key is what a finished rotation left behind.
            self.journal.unlink(missing_ok=True)
            self.new = master.successor(secrets.token_bytes(32))
            write_key_file(data_dir / PENDING_KEY_FILE, self.new)
        else:
            self.new = pending[0]
        self._blobs = BlobRewrap(store, self.old, self.new, self.journal)

    def rewrap_blobs(self) -> tuple[int, int]:
        """Repair torn headers, then re-wrap every blob: (re-wrapped, repaired)."""
        repaired = self._blobs.repair()
        return self._blobs.run(), repaired

    def rewrap_sealed(self, context: str, sealed: bytes) -> bytes | None:
        """A sealed record re-wrapped under the new key; None when it is already."""
        if key_id_of(sealed) == self.new.key_id:
            return None
        nonce = secrets.token_bytes(12)
        return rewrap_header(self.old, self.new, context, sealed, nonce) + sealed[HEADER:]

    def opens_sealed(self, context: str, sealed: bytes) -> bool:
        return opens(self.new, context, sealed[:HEADER])

    def finish(self) -> None:
        """Retire the old key, once every blob opens with the new one (atomic rename)."""
        unopened = self._blobs.unopened()
        if unopened:
            raise RotationError(f"blob {unopened[0]} does not open with the new key; run again")
        os.replace(self.data_dir / PENDING_KEY_FILE, self.data_dir / MASTER_KEY_FILE)
        fsync_folder(self.data_dir)
        self.journal.unlink(missing_ok=True)

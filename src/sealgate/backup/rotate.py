"""`sealgate key rotate`: a new master key, every data key re-wrapped, then the old retired.

Steps, each durable before the next, so that a rotation interrupted anywhere is resumed by
running it again, and every blob and sealed row opens with one of the two keys meanwhile:
1. the new key is written to `<data_dir>/master.key.next` (0600, fsynced); a resumed
   rotation takes the one already there;
2. every blob header and every sealed row is re-wrapped (vault/rotation.py, with its
   journal; rows one batch per transaction);
3. everything is checked to open with the new key;
4. `master.key.next` replaces `master.key` (an atomic rename): the old key is retired.
The new key keeps the old one's derivation base (see vault/envelope.py `MasterKey`):
keyed hashes of passwords and codes, and secrets sealed under derived keys, stay valid.
Only a key in `<data_dir>/master.key` is rotated; the gateway must be stopped meanwhile,
since a running process keeps the key it started with.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sealgate.bootstrap import Runtime
from sealgate.delivery.queue import seal_context
from sealgate.store.sealed_rows import rewrap_sealed_rows, sealed_rows
from sealgate.vault import FilesystemBlobStore, MasterKey, VaultCorrupt
from sealgate.vault.envelope import HEADER, key_id_of, rewrap_header
from sealgate.vault.rotation import (
    JOURNAL_FILE,
    BlobRewrap,
    RotationError,
    fsync_folder,
    opens,
    write_key_file,
)
from sealgate.vault.vault import MASTER_KEY_FILE, PENDING_KEY_FILE


@dataclass(frozen=True)
class RotationReport:
    old_key_id: str
    new_key_id: str
    blobs_rewrapped: int
    rows_rewrapped: int
    repaired: int
    resumed: bool
    key_file: str


def _new_key(rt: Runtime, pending: Path) -> tuple[MasterKey, bool]:
    """The rotation's new key: the one a previous, interrupted run left, or a fresh one."""
    for key in rt.vault.fallback:
        return key, True
    new = rt.vault.master.successor(secrets.token_bytes(32))
    write_key_file(pending, new)
    return new, False


def _row_rewrap(old: MasterKey, new: MasterKey) -> Callable[[str, bytes], bytes | None]:
    def rewrap(job_id: str, sealed: bytes) -> bytes | None:
        if key_id_of(sealed) == new.key_id:
            return None
        header = rewrap_header(old, new, seal_context(job_id), sealed, secrets.token_bytes(12))
        return header + sealed[HEADER:]

    return rewrap


def _check_rows(rt: Runtime, new: MasterKey) -> None:
    for job_id, sealed in sealed_rows(rt.db):
        if not opens(new, seal_context(job_id), sealed[:HEADER]):
            raise RotationError(
                f"outbound job {job_id}: sealed mail does not open with the new key"
            )


def rotate_master_key(rt: Runtime) -> RotationReport:
    """Rotate the master key in `<data_dir>/master.key` (see the module docstring)."""
    if rt.settings.storage.master_key.get_secret_value():
        raise RotationError(
            "the master key comes from [storage] master_key in the configuration; key rotate"
            f" rotates {rt.settings.data_dir / MASTER_KEY_FILE} only: move the key into that"
            " file (mode 0600), remove the setting, then rotate"
        )
    store = rt.vault.store
    if not isinstance(store, FilesystemBlobStore):
        raise RotationError("key rotate re-wraps blobs in the filesystem blob store only")
    data_dir = rt.settings.data_dir
    journal, pending = data_dir / JOURNAL_FILE, data_dir / PENDING_KEY_FILE
    if not rt.vault.fallback:
        # A journal without a pending key is what a finished rotation left: not ours.
        journal.unlink(missing_ok=True)
    old = rt.vault.master
    new, resumed = _new_key(rt, pending)
    blobs = BlobRewrap(store, old, new, journal)
    try:
        repaired = blobs.repair()
        rewrapped = blobs.run()
        rows = rewrap_sealed_rows(rt.db, _row_rewrap(old, new))
    except VaultCorrupt as exc:
        raise RotationError(f"{exc}; nothing retired, run key rotate again") from None
    unopened = blobs.unopened()
    if unopened:
        raise RotationError(f"blob {unopened[0]} does not open with the new key; nothing retired")
    _check_rows(rt, new)
    os.replace(pending, data_dir / MASTER_KEY_FILE)
    fsync_folder(data_dir)
    journal.unlink(missing_ok=True)
    return RotationReport(
        old.key_id.hex(),
        new.key_id.hex(),
        rewrapped,
        rows,
        repaired,
        resumed,
        str(data_dir / MASTER_KEY_FILE),
    )

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

from dataclasses import dataclass

from sealgate.bootstrap import Runtime
from sealgate.delivery import seal_context
from sealgate.store import rewrap_sealed_rows, sealed_mails
from sealgate.vault import FilesystemBlobStore, KeyRotation, RotationError, VaultCorrupt


@dataclass(frozen=True)
class RotationReport:
    old_key_id: str
    new_key_id: str
    blobs_rewrapped: int
    rows_rewrapped: int
    repaired: int
    resumed: bool
    key_file: str


def rotate_master_key(rt: Runtime) -> RotationReport:
    """Rotate the master key in `<data_dir>/master.key` (see the module docstring)."""
    key_file = rt.settings.data_dir / "master.key"
    if rt.settings.storage.master_key.get_secret_value():
        raise RotationError(
            "the master key comes from [storage] master_key in the configuration; key rotate"
            f" rotates {key_file} only: move the key into that file (mode 0600), remove the"
            " setting, then rotate"
        )
    store = rt.vault.store
    if not isinstance(store, FilesystemBlobStore):
        raise RotationError(
            "key rotate re-wraps blobs in the filesystem blob store only; it does not"
            " work yet with blobs on S3 ([storage] blob_url)"
        )
    rotation = KeyRotation(rt.settings.data_dir, store, rt.vault.master, rt.vault.fallback)
    try:
        rewrapped, repaired = rotation.rewrap_blobs()
        rows = rewrap_sealed_rows(
            rt.db, lambda job_id, sealed: rotation.rewrap_sealed(seal_context(job_id), sealed)
        )
    except VaultCorrupt as exc:
        raise RotationError(f"{exc}; nothing retired, the old key stays") from None
    for job_id, sealed in sealed_mails(rt.db):
        if not rotation.opens_sealed(seal_context(job_id), sealed):
            raise RotationError(f"outbound job {job_id}: its sealed mail does not open; retry")
    rotation.finish()
    return RotationReport(
        rotation.old.key_id.hex(),
        rotation.new.key_id.hex(),
        rewrapped,
        rows,
        repaired,
        rotation.resumed,
        str(key_file),
    )

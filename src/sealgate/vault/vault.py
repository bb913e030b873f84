"""The vault: encrypt on the way into a blob store, decrypt as a stream on the way out."""

from __future__ import annotations

import base64
import io
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

from sealgate.vault.blobs import BLOB_ID, BlobStore
from sealgate.vault.envelope import MasterKey, decrypt_stream, encrypt_stream
from sealgate.vault.writer import BlobWriter

MASTER_KEY_FILE = "master.key"
# Written by `sealgate key rotate` before it re-wraps anything (vault/rotation.py).
PENDING_KEY_FILE = "master.key.next"


def load_master_key(data_dir: Path, configured: str, create: bool = False) -> MasterKey:
    """The master key from the setting (base64), else from `<data_dir>/master.key`."""
    if configured:
        return MasterKey(base64.b64decode(configured, validate=True))
    path = data_dir / MASTER_KEY_FILE
    if not path.exists():
        if not create:
            raise FileNotFoundError(f"no master key at {path}; run 'sealgate init' first")
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
    return MasterKey(base64.b64decode(path.read_text().strip(), validate=True))


def load_pending_keys(data_dir: Path) -> tuple[MasterKey, ...]:
    """The new key of a key rotation under way (`master.key.next`), if any: read with it too.

    While it exists some blobs may be wrapped by it and the rest by the master key; a gateway
    started during an interrupted rotation reads both.
    """
    path = data_dir / PENDING_KEY_FILE
    if not path.exists():
        return ()
    return (MasterKey(base64.b64decode(path.read_text().strip(), validate=True)),)


class Vault:
    """Blobs encrypted under `master`; `fallback` keys only read (during a key rotation)."""

    def __init__(
        self, master: MasterKey, store: BlobStore, fallback: tuple[MasterKey, ...] = ()
    ) -> None:
        self.master = master
        self.store = store
        self.fallback = fallback

    def key_ring(self) -> tuple[MasterKey, ...]:
        """Every key a blob may be wrapped by: the master key first."""
        return (self.master, *self.fallback)

    def put(self, chunks: Iterable[bytes | bytearray]) -> str:
        """Encrypt a byte stream under a fresh data key; durable when this returns."""
        blob_id = secrets.token_hex(16)
        stream = encrypt_stream(
            self.master, blob_id, chunks, secrets.token_bytes(32), secrets.token_bytes(19)
        )
        self.store.write(blob_id, stream)
        return blob_id

    def put_bytes(self, data: bytes | bytearray) -> str:
        return self.put([data])

    def stream(self, blob_id: str) -> Iterator[bytes]:
        with self.store.open(blob_id) as handle:
            yield from decrypt_stream(self.key_ring(), blob_id, handle)

    def get_bytes(self, blob_id: str) -> bytes:
        return b"".join(self.stream(blob_id))

    def get_bytearray(self, blob_id: str) -> bytearray:
        """The plaintext, gathered segment by segment into one buffer: the message once in
        memory, not a list of segments and then their join."""
        plain = bytearray()
        for segment in self.stream(blob_id):
            plain += segment
        return plain

    def writer(self) -> BlobWriter:
        """A blob written piece by piece as its bytes arrive (writer.py); `close` is `put`."""
        return BlobWriter(self)

    def delete(self, blob_id: str) -> None:
        self.store.delete(blob_id)

    def seal(self, data: bytes | bytearray, context: str) -> bytes:
        """Encrypt `data` for the caller to keep (e.g. in a database row), bound to `context`.

        The same envelope as a blob, without the blob store: the caller's own commit makes it
        durable, so a small record costs no fsync of its own. `context` names the record
        (say, "job <id>"); `unseal` with any other context fails. It never looks like a
        blob id (32 hex digits), so a sealed record cannot pass for a blob, nor a blob for it.
        """
        if BLOB_ID.match(context):
            raise ValueError("a seal context must not look like a blob id")
        return b"".join(
            encrypt_stream(
                self.master, context, [data], secrets.token_bytes(32), secrets.token_bytes(19)
            )
        )

    def unseal(self, sealed: bytes, context: str) -> bytes:
        """The plaintext of `seal(data, context)`; VaultCorrupt if altered or moved."""
        if BLOB_ID.match(context):
            raise ValueError("a seal context must not look like a blob id")
        return b"".join(decrypt_stream(self.key_ring(), context, io.BytesIO(sealed)))


__all__ = ["Vault", "load_master_key", "load_pending_keys"]

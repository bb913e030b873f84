"""A vault that remembers the blobs it wrote, so a stage whose transaction fails removes them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from sealgate.vault.vault import Vault


class RecordingVault(Vault):
    """The runtime's vault, remembering the blobs it wrote so a failed pass can remove them.

    Blobs are written before the rows that point at them are committed; a rolled-back
    transaction would otherwise leave encrypted orphans behind.
    """

    def __init__(self, vault: Vault) -> None:
        super().__init__(vault.master, vault.store, vault.fallback)
        self.written: list[str] = []

    def put(self, chunks: Iterable[bytes | bytearray]) -> str:
        blob_id = super().put(chunks)
        self.written.append(blob_id)
        return blob_id

    def forget_written(self) -> None:
        for blob_id in self.written:
            with contextlib.suppress(OSError, ValueError):
                self.delete(blob_id)
        self.written.clear()

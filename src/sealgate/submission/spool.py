"""Where a message goes while DATA arrives: memory while it is small, a vault blob beyond.

Most messages are a few kilobytes, and for them nothing changes: they are held and committed
as before (commit.py writes their blob in its thread pool). Once a message passes
`SPOOL_THRESHOLD` bytes, what has arrived is streamed into an encrypted vault blob as it
comes (vault.BlobWriter, in threads so the event loop never waits on the disk), so a session
holds about a threshold's worth of the message plus the writer's short queue, whatever the
message's size. The blob is complete and durable (fsynced) when `finish` returns, which the
shell awaits before the handler decides and before any row or 250; a message refused or cut
off mid-stream is aborted and leaves nothing behind.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sealgate.vault import BlobWriter, Vault

# Held in memory up to this many bytes; a larger message streams into the vault in pieces
# of about this size.
SPOOL_THRESHOLD = 1024 * 1024


@dataclass(frozen=True)
class StoredContent:
    """A message's content already in the vault: its blob and its size in bytes."""

    blob_id: str
    size: int


class MessageSpool:
    """One DATA transfer's content on its way into the vault."""

    def __init__(self, vault: Vault, threshold: int = SPOOL_THRESHOLD) -> None:
        self.vault = vault
        self.threshold = threshold
        self._writer: BlobWriter | None = None

    @property
    def streaming(self) -> bool:
        """True once the content goes to a blob rather than staying in memory."""
        return self._writer is not None

    async def write(self, data: bytes) -> None:
        """Store `data` (the next piece of the content) in the blob, opening it at first."""
        if self._writer is None:
            self._writer = await asyncio.to_thread(self.vault.writer)
        await asyncio.to_thread(self._writer.write, data)

    async def finish(self, rest: bytes) -> StoredContent:
        """Store `rest`, close the blob and wait until it is durable."""
        await self.write(rest)
        assert self._writer is not None
        writer, self._writer = self._writer, None
        try:
            blob_id = await asyncio.to_thread(writer.close)
        except BaseException:
            await asyncio.to_thread(writer.abort)
            raise
        return StoredContent(blob_id, writer.size)

    async def abort(self) -> None:
        """Drop the blob being written, if any."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            await asyncio.to_thread(writer.abort)

    def abandon(self) -> None:
        """Drop the blob from a session being cancelled: in a thread, not awaited."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            asyncio.get_running_loop().run_in_executor(None, writer.abort)

"""A blob written as its bytes arrive: the push side of the vault, for content too large to hold.

The blob stores pull their bytes from an iterable (a file write loop, an S3 multipart upload)
and the vault encrypts as it pulls. A caller that receives a message piece by piece (the SMTP
DATA reader, the MIME reader of intake) has the opposite shape: it pushes. So the store runs
in a thread of its own, fed through a short queue; at most `depth` pieces wait in it, so a
blob of any size costs a few pieces of memory. The blob is durable (fsynced, or acknowledged
by S3) when `close` returns, and nothing of it is left when `abort` returns.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import Protocol

# How long a blocked `write` waits between looks at whether the store's thread is alive.
_POLL_SECONDS = 0.5


class _Puts(Protocol):
    def put(self, chunks: Iterator[bytes]) -> str: ...
    def delete(self, blob_id: str) -> None: ...


class BlobWriteAborted(Exception):
    """Raised inside the store's write loop so that it removes what it wrote."""


class BlobWriterClosed(OSError):
    """The writer was closed or aborted, or its store failed: no more bytes are taken."""


_END = object()
_ABORT = object()


class BlobWriter:
    """`write` each piece (blocking while the queue is full), then `close` or `abort`.

    Not for the event loop: `write` and `close` block on the store; call them in a thread.
    """

    def __init__(self, vault: _Puts, depth: int = 4) -> None:
        self._vault = vault
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._blob_id: str | None = None
        self._open = True
        self.size = 0
        self._thread = threading.Thread(target=self._run, name="sealgate-blob-writer", daemon=True)
        self._thread.start()

    def _pieces(self) -> Iterator[bytes]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if item is _ABORT:
                raise BlobWriteAborted
            assert isinstance(item, bytes)
            yield item

    def _run(self) -> None:
        try:
            self._blob_id = self._vault.put(self._pieces())
        except BaseException as error:  # noqa: BLE001 - handed to the caller of close()
            self._error = error

    def _put(self, item: object) -> None:
        while True:
            if not self._thread.is_alive():
                raise BlobWriterClosed("the blob store stopped taking bytes") from self._error
            try:
                self._queue.put(item, timeout=_POLL_SECONDS)
                return
            except queue.Full:
                continue

    def write(self, data: bytes) -> None:
        if not self._open:
            raise BlobWriterClosed("the blob writer is closed")
        if data:
            self._put(data)
            self.size += len(data)

    def close(self) -> str:
        """The blob's id, once every byte is stored and durable; raises the store's error."""
        if not self._open:
            raise BlobWriterClosed("the blob writer is closed")
        self._open = False
        try:
            self._put(_END)
        finally:
            self._thread.join()
        if self._error is not None or self._blob_id is None:
            raise BlobWriterClosed("the blob could not be stored") from self._error
        return self._blob_id

    def abort(self) -> None:
        """Stop and remove whatever was stored; safe to call at any time, and again."""
        self._open = False
        if self._thread.is_alive():
            with contextlib.suppress(BlobWriterClosed):
                self._put(_ABORT)
            self._thread.join()
        if self._blob_id is not None:
            self._vault.delete(self._blob_id)
            self._blob_id = None

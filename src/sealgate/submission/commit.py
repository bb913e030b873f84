"""Commit an accepted message: encrypted vault blob first, then its `submissions` row.

This is Postfix's "acknowledge only after the commit": the caller sends the 250 only after
the commit returns. The blob is fsynced before the row is written, and the row is the only
thing that makes the blob visible to intake; so a crash in between leaves an orphan blob that
nothing reads, never a row whose blob is missing. When the row cannot be written the blob is
deleted again before the error goes up, and the client gets a 4xx and retries.

Two ways in, one row format:
- `commit_submission`: one message, one transaction (blocking; for the CLI and tests).
- `GroupCommitter.commit`: what the SMTP server uses. Many sessions share the work, the way
  a database's group commit does: their blobs are written (and fsynced) in parallel in a
  small thread pool, and the first of those threads to find no commit under way commits
  every queued row, up to `MAX_BATCH` in one transaction, as soon as the previous commit
  is done and the blobs then being written are (at most `LINGER_SECONDS`), then wakes the
  batch's sessions. Each session still hears "250" only after its own row is committed.
  A batch that fails is retried row by row, so one bad row fails only its own session; a
  blob whose row failed is deleted.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.store import Submission, new_id, utcnow
from sealgate.submission.spool import StoredContent
from sealgate.submission.write_turn import WriteTurn

log = logging.getLogger("sealgate.submission")

# One transaction takes at most this many rows; under load, a batch fills while the previous
# one commits.
MAX_BATCH = 64
# How long a commit waits for rows whose blobs are still being written (never longer).
LINGER_SECONDS = 0.002
# Blob writes wait on fsync, not on the CPU: a thread per busy session lets concurrent
# sessions share the disk's flushes (the file system commits their fsyncs together), and
# one of the threads commits the rows.
BLOB_THREADS = 16


@dataclass(frozen=True)
class AcceptedMessage:
    """Everything submission knows about a message at the end of DATA; no aiosmtpd types."""

    raw: bytes
    org_id: int
    account_id: int | None  # None: the null sender, sent under the organisation's identity
    mail_from: str
    rcpt_to: tuple[str, ...]
    client_address: str
    authenticated_as: str
    dsn: dict[str, Any] | None = None  # the RFC 3461 request (esmtp_params.dsn_request)
    tls_version: str = ""  # the client's TLS session, "" for none (evidence of arrival)
    tls_cipher: str = ""
    in_reply_to: str | None = None  # a portal reply: the id of the message it answers
    # A large message streamed into the vault during DATA (`raw` is then empty): its blob,
    # already durable, and its size.
    stored: StoredContent | None = None

    @property
    def size(self) -> int:
        return self.stored.size if self.stored is not None else len(self.raw)


def _row(message: AcceptedMessage, blob_id: str) -> dict[str, Any]:
    """The column values of the `incoming` submission row of a message stored as `blob_id`."""
    return {
        "id": new_id(),
        "org_id": message.org_id,
        "account_id": message.account_id,
        "mail_from": message.mail_from,
        "rcpt_to": list(message.rcpt_to),
        "blob_id": blob_id,
        "size": message.size,
        "client_address": message.client_address,
        "authenticated_as": message.authenticated_as,
        "dsn": message.dsn,
        "tls_version": message.tls_version,
        "tls_cipher": message.tls_cipher,
        "in_reply_to": message.in_reply_to,
        "state": "incoming",
        "error": "",
        "received_at": utcnow(),
    }


def commit_submission(
    rt: Runtime,
    message: AcceptedMessage,
    also: Callable[[Session, str], None] | None = None,
) -> str:
    """Store the raw message encrypted and queue it for intake; returns the queue id.

    `also(session, queue_id)` runs in the row's own transaction, for writes that must stand
    or fall with it (a portal reply marks its recipient replied).
    """
    blob_id = message.stored.blob_id if message.stored else rt.vault.put_bytes(message.raw)
    try:
        row = _row(message, blob_id)
        with rt.db.begin() as session:
            session.execute(insert(Submission.__table__), [row])
            if also is not None:
                also(session, str(row["id"]))
    except BaseException:
        rt.vault.delete(blob_id)
        raise
    return str(row["id"])


@dataclass
class _Waiting:
    """One session's message on its way to a committed row, and the future it awaits."""

    done: asyncio.Future[str] = field(repr=False)
    loop: asyncio.AbstractEventLoop = field(repr=False)
    row: dict[str, Any] = field(default_factory=dict)


def write_rows(
    rt: Runtime, rows: list[dict[str, Any]], turn: WriteTurn | None = None
) -> list[BaseException | None]:
    """Insert `rows` in one transaction; when that fails, each in its own.

    Returns, per row, None when it is committed or the error that kept it out (its blob is
    then deleted). A plain multi-row INSERT, not ORM objects: the ORM's unit of work cost
    more CPU than the rest of the commit. It runs in a session all the same, so that the
    store's wake-ups see it: intake wakes at the commit (in this process, and through
    NOTIFY on PostgreSQL) instead of at its next poll. `turn` queues the committers of
    several listener processes on SQLite (write_turn.py). Blocking: the committer calls it
    in a thread.
    """
    try:
        with nullcontext() if turn is None else turn.held(), rt.db.begin() as session:
            session.execute(insert(Submission.__table__), rows)
        return [None] * len(rows)
    except Exception as error:  # noqa: BLE001 - each row gets its own verdict below
        if len(rows) == 1:
            rt.vault.delete(rows[0]["blob_id"])
            return [error]
        log.warning(
            "batched commit of %d submissions failed (%s); retrying one by one",
            len(rows),
            type(error).__name__,
        )
    return [write_rows(rt, [row], turn)[0] for row in rows]


class GroupCommitter:
    """Commits submissions of all sessions of one server in shared transactions.

    The work runs in a small thread pool; no thread is parked waiting for rows. A blob
    thread that has made its blob durable queues the row and, when no commit is under way,
    becomes the committer itself (the "leader" of a database's group commit): it commits
    every queued row, up to `max_batch` at a time, until none is left, so the message
    takes no hop back to the event loop and on to another thread between its blob and its
    row. Rows that arrive while it commits form the next batch; before a batch it waits (at
    most `linger`) only for blobs already being written, so a quiet server commits each row
    as it comes. Each batch's sessions are woken by one call into their event loop.
    `close()` waits for what is in flight.
    """

    def __init__(
        self,
        rt: Runtime,
        max_batch: int = MAX_BATCH,
        threads: int = BLOB_THREADS,
        linger: float = LINGER_SECONDS,
    ) -> None:
        self.rt = rt
        self.max_batch, self.threads, self.linger = max_batch, threads, linger
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._queued: list[_Waiting] = []
        self._writing = 0  # blobs being written, whose rows are still to come
        self._committing = False
        self._pool: ThreadPoolExecutor | None = None
        self._turn = WriteTurn(rt.db.url)

    async def commit(self, message: AcceptedMessage) -> str:
        """The queue id of `message`, once its blob and its row are durable."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting(loop.create_future(), loop)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="sealgate-commit")
        if message.stored is None:
            with self._lock:
                self._writing += 1
            self._pool.submit(self._store_then_queue, message, waiting)
        else:
            try:
                waiting.row = _row(message, message.stored.blob_id)
            except BaseException:
                self.rt.vault.delete(message.stored.blob_id)
                raise
            if self._queue(waiting):
                self._pool.submit(self._commit_queued)
        # The row is committed or refused whether or not this session is still there to hear
        # it: a session that goes away meanwhile does not take its row out of the batch.
        return await asyncio.shield(waiting.done)

    def _store_then_queue(self, message: AcceptedMessage, waiting: _Waiting) -> None:
        """In a pool thread: the blob (encrypted, fsynced), then the row in the queue; and
        the commits, when this thread finds no committer at work."""
        try:
            blob_id = self.rt.vault.put_bytes(message.raw)
            try:
                waiting.row = _row(message, blob_id)
            except BaseException:
                self.rt.vault.delete(blob_id)
                raise
        except BaseException as error:
            with self._lock:
                self._writing -= 1
                self._arrived.notify_all()
            _wake([waiting], [error])
            return
        if self._queue(waiting, written=True):
            self._commit_queued()

    def _queue(self, waiting: _Waiting, written: bool = False) -> bool:
        """Queue a row; True when the caller is to commit (no one else is at it)."""
        with self._lock:
            self._queued.append(waiting)
            if written:
                self._writing -= 1
            self._arrived.notify_all()
            if self._committing:
                return False
            self._committing = True
            return True

    def _commit_queued(self) -> None:
        """Commit batches until no row is queued, then step down as committer."""
        while True:
            with self._lock:
                self._gather()
                if not self._queued:
                    self._committing = False
                    return
                batch = self._queued[: self.max_batch]
                del self._queued[: self.max_batch]
            results: list[BaseException | None]
            try:
                results = write_rows(self.rt, [w.row for w in batch], self._turn)
            except BaseException as error:  # noqa: BLE001 - every session hears of it
                # Only a failure outside the rows gets here (a blob that could not be
                # deleted, say); blobs left behind are orphans, which no row points at.
                log.error("commit of %d submissions failed: %s", len(batch), type(error).__name__)
                results = [error] * len(batch)
            _wake(batch, results)

    def _gather(self) -> None:
        """With the lock held: wait, up to `linger`, for the rows of blobs being written.

        A blob takes a few fsyncs; its row then joins this transaction instead of paying
        for one of its own. Without blobs under way nothing is waited for: a quiet server
        commits each row as it comes.
        """
        deadline = time.monotonic() + self.linger
        while self._queued and self._writing and len(self._queued) < self.max_batch:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._arrived.wait(left)

    async def close(self) -> None:
        """Wait for the blobs and rows in flight, then release the threads."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await asyncio.to_thread(pool.shutdown, wait=True)
        self._turn.close()


def _wake(batch: list[_Waiting], results: list[BaseException | None]) -> None:
    """Hand each session its verdict, in its event loop: one call per loop and batch."""
    loops: dict[asyncio.AbstractEventLoop, list[tuple[_Waiting, BaseException | None]]] = {}
    for waiting, result in zip(batch, results, strict=True):
        loops.setdefault(waiting.loop, []).append((waiting, result))
    for loop, verdicts in loops.items():
        try:
            loop.call_soon_threadsafe(_settle_all, verdicts)
        except RuntimeError:
            # The loop is closed: no session is left to hear it (the row stands or not
            # all the same; a client that heard nothing retries).
            continue


def _settle_all(verdicts: list[tuple[_Waiting, BaseException | None]]) -> None:
    for waiting, result in verdicts:
        _settle(waiting, result)


def _settle(waiting: _Waiting, result: BaseException | None) -> None:
    if waiting.done.done():
        return
    if result is None:
        waiting.done.set_result(str(waiting.row["id"]))
    else:
        waiting.done.set_exception(result)

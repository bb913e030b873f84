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
  small thread pool, and one committer takes up to `MAX_BATCH` waiting rows after a short
  linger (only when it was idle) and inserts them in one transaction, then wakes each
  waiting session. Each session
  still hears "250" only after its own row is committed. A batch that fails is retried row by
  row, so one bad row fails only its own session; a blob whose row failed is deleted.
"""

from __future__ import annotations

import asyncio
import logging
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
# one commits, so the linger is paid only when there is little to wait for.
MAX_BATCH = 64
LINGER_SECONDS = 0.002
# Blob writes wait on fsync, not on the CPU: a few threads let concurrent sessions share the
# disk's flushes.
BLOB_THREADS = 8


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
    """One session's row, waiting for the committer, and the future its session awaits."""

    row: dict[str, Any]
    done: asyncio.Future[str] = field(repr=False)


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

    The committer task runs only while rows wait and ends when none are left, so a server
    needs no start or stop for it; `close()` waits for what is in flight.
    """

    def __init__(
        self, rt: Runtime, max_batch: int = MAX_BATCH, linger: float = LINGER_SECONDS
    ) -> None:
        self.rt = rt
        self.max_batch, self.linger = max_batch, linger
        self._waiting: list[_Waiting] = []
        self._committer: asyncio.Task[None] | None = None
        self._blobs: ThreadPoolExecutor | None = None
        self._turn = WriteTurn(rt.db.url)

    async def commit(self, message: AcceptedMessage) -> str:
        """The queue id of `message`, once its blob and its row are durable."""
        loop = asyncio.get_running_loop()
        if self._blobs is None:
            self._blobs = ThreadPoolExecutor(BLOB_THREADS, thread_name_prefix="sealgate-vault")
        if message.stored is not None:
            blob_id = message.stored.blob_id
        else:
            blob_id = await loop.run_in_executor(self._blobs, self.rt.vault.put_bytes, message.raw)
        try:
            row = _row(message, blob_id)
        except BaseException:
            self.rt.vault.delete(blob_id)
            raise
        waiting = _Waiting(row, loop.create_future())
        self._waiting.append(waiting)
        if self._committer is None or self._committer.done():
            self._committer = loop.create_task(self._commit_waiting())
        # The row is committed or refused whether or not this session is still there to hear
        # it: a session that goes away meanwhile does not take its row out of the batch.
        return await asyncio.shield(waiting.done)

    async def _commit_waiting(self) -> None:
        """Commit batches until no row waits.

        Only the first batch of a burst lingers: rows that arrive while a batch commits
        form the next batch by themselves, and waiting longer would only add latency.
        """
        if len(self._waiting) < self.max_batch:
            await asyncio.sleep(self.linger)
        while self._waiting:
            batch = self._waiting[: self.max_batch]
            del self._waiting[: self.max_batch]
            try:
                rows = [w.row for w in batch]
                results = await asyncio.to_thread(write_rows, self.rt, rows, self._turn)
            except BaseException as error:
                # Only a failure outside the rows (no thread, cancellation) gets here; the
                # blobs stay as orphans, which no row points at, and each session hears a 4xx.
                for waiting in batch:
                    _settle(waiting, error)
                raise
            for waiting, result in zip(batch, results, strict=True):
                _settle(waiting, result)

    async def close(self) -> None:
        """Wait for the rows in flight, then release the blob threads."""
        if self._committer is not None:
            await asyncio.gather(self._committer, return_exceptions=True)
        if self._blobs is not None:
            self._blobs.shutdown(wait=True)
            self._blobs = None
        self._turn.close()


def _settle(waiting: _Waiting, result: BaseException | None) -> None:
    if waiting.done.done():
        return
    if result is None:
        waiting.done.set_result(str(waiting.row["id"]))
    else:
        waiting.done.set_exception(result)

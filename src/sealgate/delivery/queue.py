"""The outbound queue: enqueue rendered mails, claim due rows, record outcomes.

States (Postfix words): incoming -> active -> deferred -> (done | bounced), plus hold and
corrupt. A claim sets `active` with a lease; a worker that dies leaves a lease that runs out,
and the row is claimed again (at-least-once delivery, never lost).

The lease is also a fencing token: a worker records an outcome only while the row is still
`active` under the very lease it claimed. A worker that was too slow, whose row another worker
has since reclaimed, changes nothing (and so sends no second DSN).

Several workers may claim at once. PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED`, so each
worker locks rows no other worker holds. SQLite (one writer at a time): a conditional UPDATE
per row that repeats the "is due" test; rowcount 1 means this worker got the row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from itertools import chain, zip_longest
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, literal_column, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from sealgate.store import JobState, OutboundJob, new_id
from sealgate.vault import Vault

# Queued mails up to this size are kept sealed in their row rather than in a vault blob.
SEALED_MAIL_LIMIT = 64 * 1024


def enqueue(
    session: Session,
    vault: Vault,
    *,
    kind: str,
    mail: EmailMessage | bytes | bytearray,
    mail_from: str,
    rcpt_to: str,
    now: datetime,
    expiry: timedelta,
    submission_id: str | None = None,
    recipient_id: str | None = None,
    state: str = "incoming",
    note: str = "",
    required_level: str | None = None,
    dsn: dict[str, Any] | None = None,
) -> OutboundJob:
    """Store `mail` encrypted and add a queue row, due now.

    `state="hold"` parks a job that no worker may take yet; `note` then says why.
    `required_level` (a `Requirement` as text) makes the worker deliver it directly, only
    over a connection that proves that level. `dsn` is the recipient's RFC 3461 request.
    """
    job_id = new_id()
    data = mail if isinstance(mail, bytes | bytearray) else mail.as_bytes()
    # A small mail (notifications, codes, DSNs) is sealed into the row: durable with the
    # caller's commit, at no fsync of its own. A large one (a direct message) is a blob, and
    # the blob is durable before that commit (STYLE.md B.2).
    sealed = vault.seal(data, seal_context(job_id)) if len(data) <= SEALED_MAIL_LIMIT else None
    job = OutboundJob(
        id=job_id,
        kind=kind,
        submission_id=submission_id,
        recipient_id=recipient_id,
        mail_from=mail_from,
        rcpt_to=rcpt_to,
        blob_id="" if sealed is not None else vault.put_bytes(data),
        sealed_mail=sealed,
        state=state,
        attempts=0,
        next_attempt_at=now,
        lease_until=None,
        expires_at=now + expiry,
        last_error=note,
        created_at=now,
        updated_at=now,
        required_level=required_level,
        dsn=dsn,
        delay_reported=False,
    )
    session.add(job)
    return job


def seal_context(job_id: str) -> str:
    """What a sealed mail is bound to: its own job, so it cannot be moved to another row."""
    return f"outbound job {job_id}"


def queued_mail(vault: Vault, job: OutboundJob) -> bytes:
    """The mail a job sends, from its row or its blob.

    Raises VaultCorrupt (altered, or moved from another row), FileNotFoundError (blob gone)
    or ValueError (neither a sealed mail nor a blob id): the mail is unreadable, never sent.
    """
    if job.sealed_mail is not None:
        return vault.unseal(job.sealed_mail, seal_context(job.id))
    return vault.get_bytes(job.blob_id)


def queued_stream(vault: Vault, job: OutboundJob) -> Callable[[], Iterator[bytes]] | None:
    """How to read a job's blob as a stream, afresh on each call; None for a mail sealed in
    its row (or a row with neither: `queued_mail` says why it is unreadable).

    Each call decrypts the blob anew, segment by segment, so a large mail is never held
    whole; reading raises what `queued_mail` raises, at the first segment that fails.
    """
    if job.sealed_mail is not None or not job.blob_id:
        return None
    blob_id = job.blob_id
    return lambda: vault.stream(blob_id)


def _in_state(state: JobState) -> ColumnElement[bool]:
    """`state = '<state>'` as a literal, so the planner can use that state's partial index."""
    return OutboundJob.state == literal_column(f"'{state.value}'")


def _sources(now: datetime) -> tuple[tuple[ColumnElement[bool], Any], ...]:
    """Where due rows come from, each with its order: taken in turn (Postfix's fairness).

    Each source is one partial index (store/schema.py), read in its own order.
    """
    job = OutboundJob
    return (
        (and_(_in_state(JobState.INCOMING), job.next_attempt_at <= now), job.next_attempt_at),
        (and_(_in_state(JobState.DEFERRED), job.next_attempt_at <= now), job.next_attempt_at),
        # A dead (or hung) worker's claim: its lease ran out, the row is due again.
        (and_(_in_state(JobState.ACTIVE), job.lease_until < now), job.lease_until),
    )


def _is_due(now: datetime) -> ColumnElement[bool]:
    return or_(*(condition for condition, _ in _sources(now)))


def _in_turn(lists: Sequence[Sequence[str]], limit: int) -> list[str]:
    """Round-robin over the lists: one from incoming, one from deferred, one stale, …"""
    taken = [item for item in chain.from_iterable(zip_longest(*lists)) if item is not None]
    return taken[:limit]


def claim(session: Session, now: datetime, limit: int, lease: timedelta) -> list[OutboundJob]:
    """Take up to `limit` due rows, set them `active` until now + lease, return them."""
    postgres = session.get_bind().dialect.name == "postgresql"
    candidates = []
    for condition, order in _sources(now):
        query = select(OutboundJob.id).where(condition).order_by(order).limit(limit)
        if postgres:
            query = query.with_for_update(skip_locked=True)
        candidates.append(list(session.scalars(query)))
    lease_until = now + lease
    won = []
    for job_id in _in_turn(candidates, limit):
        # Repeat the "is due" test in the UPDATE: on SQLite another worker may have claimed
        # the row since we read it; on PostgreSQL we hold its lock and this always succeeds.
        result = session.execute(
            update(OutboundJob)
            .where(OutboundJob.id == job_id, _is_due(now))
            .values(state="active", lease_until=lease_until, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) == 1:
            won.append(job_id)
    if not won:
        return []
    jobs = {
        job.id: job for job in session.scalars(select(OutboundJob).where(OutboundJob.id.in_(won)))
    }
    return [jobs[job_id] for job_id in won]


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def _finish(session: Session, job: OutboundJob, now: datetime, **values: Any) -> bool:
    """Leave `active`, but only under the lease this worker holds (see the module docstring)."""
    result = session.execute(
        update(OutboundJob)
        .where(
            OutboundJob.id == job.id,
            OutboundJob.state == "active",
            OutboundJob.lease_until == job.lease_until,
        )
        .values(lease_until=None, updated_at=now, attempts=OutboundJob.attempts + 1, **values)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def mark_done(session: Session, job: OutboundJob, now: datetime, note: str = "") -> bool:
    """The job is over: the receiving server took the mail, or (`note` says why) it became
    another job. False: the lease was lost, nothing changed."""
    return _finish(session, job, now, state="done", last_error=note)


def defer(
    session: Session,
    job: OutboundJob,
    error: str,
    next_attempt_at: datetime,
    now: datetime,
    *,
    delay_reported: bool = False,
) -> bool:
    """A temporary failure: try again at `next_attempt_at`. `delay_reported` records that
    the caller queues the one "delayed" DSN (NOTIFY=DELAY) in this transaction."""
    extra = {"delay_reported": True} if delay_reported else {}
    return _finish(
        session,
        job,
        now,
        state="deferred",
        last_error=error,
        next_attempt_at=next_attempt_at,
        **extra,
    )


def bounce(session: Session, job: OutboundJob, error: str, now: datetime) -> bool:
    """A permanent failure or expiry: no more attempts. The caller queues the DSN."""
    return _finish(session, job, now, state="bounced", last_error=error)


def mark_corrupt(session: Session, job: OutboundJob, error: str, now: datetime) -> bool:
    """The queued mail cannot be read (missing or damaged vault blob): park it for an admin."""
    return _finish(session, job, now, state="corrupt", last_error=error)


Item = TypeVar("Item")


class OutcomeWriter(Generic[Item]):
    """Outcomes written a batch per transaction, as they come (group commit).

    The first outcome is written at once; those that arrive meanwhile wait and go together
    in the next transaction. A quiet queue thus pays no latency for batching, a busy one one
    commit per batch instead of one per job. `write_batch` runs in a thread, writes the
    batch in one transaction (each row's UPDATE fenced by its lease, as above) and returns,
    per item, the error that kept it unwritten, or None. `record` returns once its outcome
    is committed, or raises that error: an unwritten job keeps its lease and is sent again
    after it (at-least-once, never lost).
    """

    def __init__(self, write_batch: Callable[[Sequence[Item]], list[BaseException | None]]):
        self._write_batch = write_batch
        self._waiting: list[tuple[Item, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, item: Item) -> None:
        written = asyncio.get_running_loop().create_future()
        self._waiting.append((item, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await written

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                errors = await asyncio.to_thread(self._write_batch, [item for item, _ in batch])
            except BaseException as failure:  # e.g. cancelled: none is known to be written
                errors = [failure] * len(batch)
            for (_, written), error in zip(batch, errors, strict=True):
                if written.done():
                    continue
                if error is None:
                    written.set_result(None)
                else:
                    written.set_exception(error)

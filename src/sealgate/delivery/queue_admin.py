"""What an admin does to the outbound queue: list it, retry a job now, give a job up.

Retry makes a waiting job (incoming or deferred) due at once; the worker takes it on its
next pass, under the same lease and fencing as any other claim. It does not extend the
job's expiry. A job on hold stays there (releasing one is a decision of its own).

Cancel gives a job up the way delivery does when a job expires: the row ends `bounced`
with `last_error` saying who gave it up, the recipient's row is left as it is (delivery
does not touch it on a bounce either: it stays `decided`), and a "failed" DSN goes to the
sender when the job has one, is not itself a DSN, and NOTIFY did not exclude FAILURE. A
job being sent (`active`) is refused: its worker holds the lease, and a cancel cannot
unsend a mail that may already be on its way. Finished jobs (done, bounced, corrupt) are
refused too.

Each change is one conditional UPDATE that repeats the state test, so a worker claiming the
row at the same moment wins or loses cleanly (store/states.py has the edges).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.delivery.dsn import (
    DeliveryFailure,
    header_block,
    streamed_header_block,
    wants_failure_report,
)
from sealgate.delivery.queue import queued_mail, queued_stream
from sealgate.delivery.worker import queue_dsn
from sealgate.store import JobState, OutboundJob, Submission, check
from sealgate.vault import VaultCorrupt

# What `queue list` shows without --state: what is still in the queue (Postfix's mailq).
IN_QUEUE = (JobState.INCOMING, JobState.ACTIVE, JobState.DEFERRED, JobState.HOLD, JobState.CORRUPT)
RETRYABLE = (JobState.INCOMING, JobState.DEFERRED)
CANCELLABLE = (JobState.INCOMING, JobState.DEFERRED, JobState.HOLD)
for _state in CANCELLABLE:
    check(_state, JobState.BOUNCED)

# RFC 3463 X.0.0 "other undefined status": no server refused it, the mail system gave up.
S_CANCELLED = "5.0.0"
CANCELLED = "cancelled by an administrator"


class QueueError(Exception):
    """The job does not exist or is in a state that does not allow the action."""


def list_jobs(
    session: Session,
    *,
    state: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    org_ids: Collection[int] | None = None,
    after: tuple[datetime, str] | None = None,
) -> list[OutboundJob]:
    """Up to `limit` jobs, oldest first, in `state` (default: still queued) of `kind`; of
    the organisations `org_ids` (by the job's submission; None: every job); `after`
    (created_at, id) continues a listing after its last job (the REST API's cursor)."""
    query = select(OutboundJob)
    if org_ids is not None:
        query = query.where(OutboundJob.submission_id.in_(job_submissions(list(org_ids))))
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(
                OutboundJob.created_at > at,
                and_(OutboundJob.created_at == at, OutboundJob.id > last_id),
            )
        )
    if state is not None:
        query = query.where(OutboundJob.state == state)
    else:
        query = query.where(OutboundJob.state.in_([s.value for s in IN_QUEUE]))
    if kind is not None:
        query = query.where(OutboundJob.kind == kind)
    query = query.order_by(OutboundJob.created_at, OutboundJob.id).limit(limit)
    return list(session.scalars(query))


def job_submissions(org_ids: list[int]) -> Select[str]:
    """The ids of the submissions of these organisations, for a job's organisation."""
    return select(Submission.id).where(Submission.org_id.in_(org_ids))


def job_org_id(session: Session, job: OutboundJob) -> int | None:
    """The organisation a job was queued for (its submission's); None for system mail."""
    if job.submission_id is None:
        return None
    return session.scalar(select(Submission.org_id).where(Submission.id == job.submission_id))


def _job(session: Session, job_id: str) -> OutboundJob:
    job = session.get(OutboundJob, job_id.strip())
    if job is None:
        raise QueueError(f"no queue job with id {job_id!r}")
    return job


def _refuse(job: OutboundJob, action: str, allowed: tuple[JobState, ...]) -> QueueError:
    states = " or ".join(str(s) for s in allowed)
    why = "; it is being delivered now" if job.state == JobState.ACTIVE else ""
    return QueueError(f"job {job.id} is {job.state}{why}: only {states} jobs can be {action}")


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def _change(
    session: Session, job: OutboundJob, allowed: tuple[JobState, ...], **values: Any
) -> bool:
    """Apply `values` if the row is still in one of `allowed` (a worker may have claimed it)."""
    result = session.execute(
        update(OutboundJob)
        .where(OutboundJob.id == job.id, OutboundJob.state.in_([s.value for s in allowed]))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(job)  # changed, or what another writer left (the refusal names it)
    return _rowcount(result) == 1


def retry_job(session: Session, job_id: str, now: datetime) -> OutboundJob:
    """Make a waiting job due now."""
    job = _job(session, job_id)
    if job.state not in RETRYABLE or not _change(
        session, job, RETRYABLE, next_attempt_at=now, updated_at=now
    ):
        raise _refuse(job, "retried", RETRYABLE)
    return job


def _original_headers(rt: Runtime, job: OutboundJob) -> bytes:
    """The header block the DSN returns; an unreadable mail leaves the DSN without one."""
    read = queued_stream(rt.vault, job)
    try:
        return streamed_header_block(read()) if read else header_block(queued_mail(rt.vault, job))
    except (VaultCorrupt, FileNotFoundError, ValueError):
        return b""


def cancel_job(
    rt: Runtime, session: Session, job_id: str, now: datetime
) -> tuple[OutboundJob, OutboundJob | None]:
    """Give a job up: `bounced`, and the DSN queued (returned) when the sender gets one."""
    job = _job(session, job_id)
    previous = job.last_error
    state = job.state
    error = f"{CANCELLED}; last error: {previous}" if previous else CANCELLED
    if state not in CANCELLABLE or not _change(
        session, job, CANCELLABLE, state=JobState.BOUNCED.value, last_error=error, updated_at=now
    ):
        raise _refuse(job, "cancelled", CANCELLABLE)
    if job.kind == "dsn" or not job.mail_from or not wants_failure_report(job.dsn):
        return job, None
    dsn = job.dsn or {}
    report = DeliveryFailure(
        job_id=job.id,
        kind=job.kind,
        recipient=job.rcpt_to,
        status=S_CANCELLED,
        diagnostic=f"X-Sealgate; {S_CANCELLED} {CANCELLED}",
        arrival=job.created_at,
        last_attempt=now,
        original_headers=_original_headers(rt, job),
        cancelled=True,
        envid=dsn.get("envid") or "",
        orcpt=dsn.get("orcpt") or None,
    )
    return job, queue_dsn(
        rt,
        session,
        report,
        to=job.mail_from,
        submission_id=job.submission_id,
        recipient_id=job.recipient_id,
    )

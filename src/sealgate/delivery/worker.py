"""The delivery worker: claim due queue rows, send each, record what happened.

One pass (`deliver_due`): claim a batch in one transaction, send the jobs a few at a time,
and record the outcomes as they come, those that arrive together in one transaction (group
commit, queue.OutcomeWriter). A batch is written whole or not at all, so a crash mid-write resends
exactly the jobs whose outcome was not yet committed (at-least-once, never lost):

    Delivered         -> done
    BelowRequirement  -> done; the recipient goes back to route `undecided` with the level
                         the hosts proved (direct deliveries only; hand_back.py)
    TemporaryFailure  -> deferred, next attempt by exponential backoff; expired -> bounced
    PermanentFailure  -> bounced
    bounced           -> a DSN to the sender (null sender), unless the job is itself a DSN,
                         had no sender, or its recipient asked for none (NOTIFY=NEVER);
                         the DSN is queued in the same transaction.
    NOTIFY=SUCCESS    -> on Delivered, a "relayed" DSN; NOTIFY=DELAY -> on the first
                         deferral, one "delayed" DSN (RFC 3461 4.1; dsn.py).

Logs name job ids, recipients and reply texts, never content.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any

from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.delivery.client import deliver
from sealgate.delivery.dsn import (
    DeliveryFailure,
    compose_dsn,
    header_block,
    wants_delay_report,
    wants_failure_report,
    wants_success_report,
)
from sealgate.delivery.hand_back import hand_back
from sealgate.delivery.outcome import (
    S_DNS_FAILURE,
    S_EXPIRED,
    BelowRequirement,
    Delivered,
    Failure,
    Outcome,
    PermanentFailure,
    TemporaryFailure,
)
from sealgate.delivery.proof import record_attempt
from sealgate.delivery.queue import (
    OutcomeWriter,
    bounce,
    claim,
    defer,
    enqueue,
    mark_corrupt,
    mark_done,
    queued_mail,
    queued_stream,
)
from sealgate.delivery.schedule import expired, next_attempt
from sealgate.delivery.signing import sign_outbound, sign_outbound_streamed
from sealgate.delivery.streamed import StreamedMail
from sealgate.observe import log_ids, metrics
from sealgate.policy import Requirement
from sealgate.store import OutboundJob, run_passes, utcnow
from sealgate.transport import Prober, prober_for
from sealgate.vault import VaultCorrupt

log = logging.getLogger("sealgate.delivery")

# Jobs claimed per pass, and sent at the same time within a pass.
BATCH_SIZE = 32
CONCURRENCY = 8


def lease_for(rt: Runtime) -> timedelta:
    """How long a claim lasts: a whole batch may need several full SMTP timeouts.

    A lease that runs out while its worker is still sending lets another worker claim the
    row too; the fencing in queue.py keeps the second outcome from being written twice.
    """
    per_job = rt.settings.delivery.timeout * 6
    return timedelta(seconds=per_job * (BATCH_SIZE / CONCURRENCY) + 60)


def _claim(rt: Runtime) -> list[OutboundJob]:
    with rt.db.begin(write=True) as session:
        return claim(session, utcnow(), BATCH_SIZE, lease_for(rt))


def _queue_dsn(rt: Runtime, session: Session, job: OutboundJob, failure: DeliveryFailure) -> None:
    """Queue the DSN for a bounced job, in the caller's transaction."""
    dsn = queue_dsn(
        rt,
        session,
        failure,
        to=job.mail_from,
        submission_id=job.submission_id,
        recipient_id=job.recipient_id,
    )
    log.info("job %s: DSN %s queued to %s", job.id, dsn.id, job.mail_from)


def queue_dsn(
    rt: Runtime,
    session: Session,
    failure: DeliveryFailure,
    *,
    to: str,
    submission_id: str | None,
    recipient_id: str | None,
) -> OutboundJob:
    """Queue a DSN about `failure` to `to` (the original sender), in the caller's transaction."""
    delivery = rt.settings.delivery
    now = failure.last_attempt
    report = compose_dsn(
        failure,
        to=to,
        system_from=rt.settings.delivery.sender,
        reporting_mta=delivery.helo_name,
        now=now,
        message_id=make_msgid(domain=rt.settings.delivery.sender.rpartition("@")[2]),
    )
    dsn = enqueue(
        session,
        rt.vault,
        kind="dsn",
        mail=report,
        mail_from="",
        rcpt_to=to,
        now=now,
        expiry=timedelta(seconds=delivery.expiry_seconds),
        submission_id=submission_id,
        recipient_id=recipient_id,
    )
    return dsn


def _wants_dsn(job: OutboundJob) -> bool:
    # A DSN about a DSN would loop (RFC 5321 4.5.5); a null sender has nobody to tell.
    return job.kind != "dsn" and bool(job.mail_from)


def _report(job: OutboundJob, headers: bytes, now: datetime, **facts: Any) -> DeliveryFailure:
    """The facts of a DSN about `job`, with the ENVID and ORCPT its sender gave."""
    dsn = job.dsn or {}
    return DeliveryFailure(
        job_id=job.id,
        kind=job.kind,
        recipient=job.rcpt_to,
        arrival=job.created_at,
        last_attempt=now,
        original_headers=headers,
        envid=dsn.get("envid") or "",
        orcpt=dsn.get("orcpt") or None,
        **facts,
    )


def _bounce(
    rt: Runtime,
    session: Session,
    job: OutboundJob,
    failure: Failure,
    headers: bytes,
    *,
    timed_out: bool,
) -> None:
    now = utcnow()
    error = failure.describe()
    if timed_out:
        error = f"delivery time expired; last error: {error}"
    if not bounce(session, job, error, now):
        log.warning("job %s: lease lost, outcome not recorded", job.id)
        return
    log.info("job %s to %s: bounced: %s", job.id, job.rcpt_to, error, extra=_ids(job))
    record_attempt(session, job, "bounced", failure, expired=timed_out)
    if _wants_dsn(job) and wants_failure_report(job.dsn):
        report = _report(
            job,
            headers,
            now,
            status=S_EXPIRED if timed_out else failure.status,
            diagnostic=failure.diagnostic(),
            expired=timed_out,
        )
        _queue_dsn(rt, session, job, report)


def _defer(
    rt: Runtime, session: Session, job: OutboundJob, failure: TemporaryFailure, headers: bytes
) -> None:
    delivery = rt.settings.delivery
    now = utcnow()
    retry_at = next_attempt(
        job.attempts + 1,
        now,
        timedelta(seconds=delivery.retry_base_seconds),
        timedelta(seconds=delivery.retry_max_seconds),
        salt=job.id,
    )
    # The last retry happens at expiry, not after it.
    retry_at = min(retry_at, job.expires_at)
    report_delay = _wants_dsn(job) and wants_delay_report(job.dsn) and not job.delay_reported
    if not defer(session, job, failure.describe(), retry_at, now, delay_reported=report_delay):
        log.warning("job %s: lease lost, outcome not recorded", job.id)
        return
    log.info("job %s to %s: deferred: %s", job.id, job.rcpt_to, failure.describe(), extra=_ids(job))
    record_attempt(session, job, "deferred", failure, next_attempt_at=retry_at)
    if report_delay:
        report = _report(
            job,
            headers,
            now,
            status=failure.status,
            diagnostic=failure.diagnostic(),
            action="delayed",
            will_retry_until=job.expires_at,
        )
        _queue_dsn(rt, session, job, report)


def _delivered(
    rt: Runtime, session: Session, job: OutboundJob, outcome: Delivered, headers: bytes
) -> None:
    now = utcnow()
    if not mark_done(session, job, now):
        log.warning("job %s: lease lost, outcome not recorded", job.id)
        return
    log.info(
        "job %s to %s: delivered: %s", job.id, job.rcpt_to, outcome.describe(), extra=_ids(job)
    )
    record_attempt(session, job, "delivered", outcome)
    if _wants_dsn(job) and wants_success_report(job.dsn):
        report = _report(
            job,
            headers,
            now,
            status="2.0.0",
            diagnostic="smtp; " + " ".join(outcome.describe().split()),
            action="relayed",
        )
        _queue_dsn(rt, session, job, report)


def _record(
    rt: Runtime, session: Session, job: OutboundJob, outcome: Outcome, headers: bytes
) -> None:
    """Write one job's outcome (and its DSN, if any) in the caller's transaction."""
    if isinstance(outcome, Delivered):
        _delivered(rt, session, job, outcome, headers)
    elif isinstance(outcome, PermanentFailure):
        _bounce(rt, session, job, outcome, headers, timed_out=False)
    elif expired(job.expires_at, utcnow()):
        _bounce(rt, session, job, outcome, headers, timed_out=True)
    else:
        _defer(rt, session, job, outcome, headers)


@dataclass(frozen=True)
class _Result:
    """A job's outcome, waiting to be written with the others of its batch."""

    job: OutboundJob
    outcome: Outcome
    headers: bytes


def _record_batch(rt: Runtime, results: Sequence[_Result]) -> list[BaseException | None]:
    """Write the outcomes in one transaction: all of them or none (runs in a thread).

    Each row's UPDATE still checks state and lease (queue.py), so a lost lease skips that
    row only. When the batch fails as a whole, each outcome is tried in its own transaction,
    so one bad row cannot keep the others unwritten; what it returns is, per outcome, the
    error that kept it unwritten (None: written or lease lost).
    """
    try:
        with rt.db.begin(write=True) as session:
            for result in results:
                _record(rt, session, result.job, result.outcome, result.headers)
        return [None] * len(results)
    except Exception as batch_error:
        if len(results) == 1:
            return [batch_error]
        log.warning(
            "outcome batch of %d failed (%r); writing row by row", len(results), batch_error
        )
    errors: list[BaseException | None] = []
    for result in results:
        try:
            with rt.db.begin() as session:
                _record(rt, session, result.job, result.outcome, result.headers)
            errors.append(None)
        except Exception as error:
            errors.append(error)
    return errors


def _park_corrupt(rt: Runtime, job: OutboundJob, error: Exception) -> None:
    with rt.db.begin() as session:
        mark_corrupt(session, job, f"queued mail unreadable: {type(error).__name__}", utcnow())
    log.error(
        "job %s: queued mail %s unreadable, moved to corrupt",
        job.id,
        job.blob_id or "(sealed in row)",
    )


async def _deliver(
    rt: Runtime,
    job: OutboundJob,
    prober: Callable[[], Prober],
    slots: asyncio.Semaphore,
    outcomes: OutcomeWriter[_Result],
) -> None:
    async with slots:
        message: bytes | StreamedMail
        try:
            message = await _signed_mail(rt, job)
        except (VaultCorrupt, FileNotFoundError, ValueError) as error:
            await asyncio.to_thread(_park_corrupt, rt, job, error)
            return
        # One client for every job: direct deliveries at their level, all other mail under
        # RFC 7672 opportunistic DANE (required_level NULL).
        requirement = Requirement.from_column(job.required_level)
        outcome: Outcome | BelowRequirement
        try:
            built = prober()
        except Exception as error:  # e.g. no resolv.conf: the job is deferred, never sent
            why = f"no DNS resolver ({type(error).__name__})"
            outcome = TemporaryFailure(None, why, S_DNS_FAILURE)
        else:
            started = time.monotonic()
            outcome = await deliver(
                rt.settings, built, requirement, job.mail_from, job.rcpt_to, message
            )
            metrics().delivery_seconds.labels(kind=job.kind).observe(time.monotonic() - started)
        _count(job, outcome)
        if isinstance(outcome, BelowRequirement):
            await asyncio.to_thread(_fall_back, rt, job, outcome)
            return
        headers = message.headers if isinstance(message, StreamedMail) else header_block(message)
        await outcomes.record(_Result(job, outcome, headers))


async def _signed_mail(rt: Runtime, job: OutboundJob) -> bytes | StreamedMail:
    """The job's mail, DKIM-signed: bytes when sealed in its row (small), else streamed from
    its blob (streamed.py), so a 50 MB direct mail is never in memory whole. Raises what
    reading the queued mail raises."""
    read = queued_stream(rt.vault, job)
    if read is None:
        message = await asyncio.to_thread(queued_mail, rt.vault, job)
        return await sign_outbound(rt, message)
    return await sign_outbound_streamed(rt, read)


def _count(job: OutboundJob, outcome: Outcome | BelowRequirement) -> None:
    """sealgate_deliveries by kind, level (proved, else required, else "any") and outcome."""
    if isinstance(outcome, Delivered):
        name, level = "delivered", outcome.proven
    elif isinstance(outcome, BelowRequirement):
        name, level = "below_requirement", outcome.observed
    else:
        name = "bounced" if isinstance(outcome, PermanentFailure) else "deferred"
        level = None
    label = level.name.lower() if level is not None else (job.required_level or "any")
    metrics().deliveries.labels(kind=job.kind, level=label, outcome=name).inc()
    log.debug("job %s: %s (%s)", job.id, name, label, extra=_ids(job))


def _ids(job: OutboundJob) -> dict[str, str]:
    return log_ids(job_id=job.id, recipient_id=job.recipient_id, submission_id=job.submission_id)


def _fall_back(rt: Runtime, job: OutboundJob, below: BelowRequirement) -> None:
    """Hand the recipient back to route by a row (hand_back.py): never a call into route."""
    log.info("job %s to %s: below the required level: %s", job.id, job.rcpt_to, below.text)
    if not hand_back(rt, job, below.observed, below.text):
        log.warning("job %s: lease lost, fall-back not recorded", job.id)


async def deliver_due(rt: Runtime) -> int:
    """One pass over the queue: send every job that is due now; returns how many were tried."""
    jobs = await asyncio.to_thread(_claim, rt)
    if not jobs:
        return 0
    # One Prober (and its resolvers) serves every direct delivery of the pass, built when the
    # first one needs it; a failed build is not cached, so it fails each such job as it comes.
    prober = functools.cache(functools.partial(prober_for, rt.settings))
    slots = asyncio.Semaphore(CONCURRENCY)
    outcomes = OutcomeWriter(functools.partial(_record_batch, rt))
    results = await asyncio.gather(
        *(_deliver(rt, job, prober, slots, outcomes) for job in jobs), return_exceptions=True
    )
    for job, result in zip(jobs, results, strict=True):
        # A job whose outcome could not be recorded keeps its lease and is retried after it.
        if isinstance(result, BaseException):
            log.error("job %s: delivery pass failed: %r", job.id, result)
    return len(jobs)


async def run_worker(rt: Runtime, stop: asyncio.Event) -> None:
    """Deliver until `stop` is set. When a pass leaves nothing due, sleep until a commit
    writes the queue (a wake-up) or `poll_interval` passes (retries fall due by the clock)."""

    async def one_pass() -> bool:
        return await deliver_due(rt) >= BATCH_SIZE

    waiter = rt.wakeups.waiter("outbound_jobs")
    await run_passes("delivery", one_pass, waiter, rt.settings.delivery.poll_interval, stop)

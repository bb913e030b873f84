"""The outbound queue: list jobs (never the queued mail), retry one, cancel one.

A job belongs to the organisation of the submission it was queued for; system mail (account
invitations and the like) belongs to none and is the operator's alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sealgate.admin.api.endpoint import Call, iso
from sealgate.admin.api.errors import ApiError, not_found
from sealgate.admin.api.pagination import decode_cursor, encode_cursor
from sealgate.delivery import QueueError, cancel_job, job_org_id, list_jobs, retry_job
from sealgate.store import OutboundJob, utcnow


def job_json(job: OutboundJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "recipient": job.rcpt_to,
        "attempts": job.attempts,
        "next_attempt_at": iso(job.next_attempt_at),
        "last_error": job.last_error,
    }


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        at, last_id = key
        return datetime.fromisoformat(str(at)), str(last_id)
    except (TypeError, ValueError):
        raise ApiError(400, "invalid_cursor", "the cursor belongs to another listing") from None


def list_queue(call: Call) -> dict[str, Any]:
    q = call.query
    jobs = list_jobs(
        call.session,
        state=q.state,
        kind=q.kind,
        limit=q.limit + 1,
        org_ids=call.scope(),
        after=_after(q.cursor),
    )
    shown = jobs[: q.limit]
    more = len(jobs) > q.limit and shown
    cursor = encode_cursor([shown[-1].created_at.isoformat(), shown[-1].id]) if more else None
    return {"items": [job_json(job) for job in shown], "next_cursor": cursor}


def _job(call: Call) -> OutboundJob:
    job_id = call.path["job_id"]
    what = f"no queue job with id {job_id!r}"
    job = call.session.get(OutboundJob, job_id)
    if job is None:
        raise not_found(what)
    org_id = job_org_id(call.session, job)
    if org_id is None:
        if not call.principal.is_operator:
            raise not_found(what)
    else:
        call.visible(org_id, what)
    call.target = job.id
    return job


def retry_queued(call: Call) -> dict[str, Any]:
    job = _job(call)
    try:
        return job_json(retry_job(call.session, job.id, utcnow()))
    except QueueError as exc:
        raise ApiError(409, "conflict", str(exc)) from None


def cancel_queued(call: Call) -> dict[str, Any]:
    job = _job(call)
    try:
        cancelled, dsn = cancel_job(call.rt, call.session, job.id, utcnow())
    except QueueError as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    return {**job_json(cancelled), "dsn_job_id": dsn.id if dsn is not None else None}

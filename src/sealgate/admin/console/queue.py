"""The outbound queue: list jobs by state and kind (never the queued mail), retry, cancel.

GET  /admin/queue?state=&kind=       jobs of the organisations `queue.read` reaches, oldest
                                     first (default: those still in the queue), as
                                     `sealgate queue list` and GET /api/v1/queue list them
POST /admin/queue/{job_id}/retry     a waiting job due now (`delivery.retry_job`);
                                     audit `queue.retry`
POST /admin/queue/{job_id}/cancel    give a waiting job up, a DSN to its sender
                                     (`delivery.cancel_job`); audit `queue.cancel`

Both changes need `queue.write` for the job's organisation; system mail (invitations and
the like, no submission) belongs to none and is the operator's alone. A refusal (a job
being delivered now, or finished) comes back as the page with the sentence.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.admin.console.access import Forbidden, NotFound, require
from sealgate.admin.console.mutations import Change, Rollback, apply
from sealgate.admin.console.pages import posted_form, render
from sealgate.admin.console.sessions import Admin
from sealgate.admin.roles import Capability
from sealgate.bootstrap import Runtime
from sealgate.delivery import QueueError, cancel_job, job_org_id, list_jobs, retry_job
from sealgate.locale import _
from sealgate.store import JobKind, JobState, Organisation, OutboundJob, utcnow

LIST_LIMIT = 200


def _done(key: str) -> str | None:
    if key == "retried":
        return _("The job is due now; the worker takes it on its next pass.")
    if key == "cancelled":
        return _("The job was given up; its sender gets a report when one is due.")
    return None


def _listing(rt: Runtime, admin: Admin, state: str, kind: str) -> dict[str, Any]:
    scope = admin.principal.org_scope(Capability.QUEUE_READ)
    if scope is not None and not scope:
        raise Forbidden(Capability.QUEUE_READ)
    with rt.db.begin() as session:
        jobs = list_jobs(
            session, state=state or None, kind=kind or None, limit=LIST_LIMIT, org_ids=scope
        )
        writable = {
            job.id
            for job in jobs
            if job.state in (JobState.INCOMING, JobState.DEFERRED, JobState.HOLD)
            and admin.principal.may(Capability.QUEUE_WRITE, job_org_id(session, job))
        }
        return {"jobs": jobs, "writable": writable}


async def queue_page(request: Request, admin: Admin, *, error: str | None = None) -> Response:
    query = request.query_params
    state, kind = query.get("state", "")[:16], query.get("kind", "")[:16]
    states, kinds = [s.value for s in JobState], [k.value for k in JobKind]
    if state not in states:
        state = ""
    if kind not in kinds:
        kind = ""
    listing = await run_in_threadpool(_listing, request.app.state.rt, admin, state, kind)
    return render(
        request,
        "queue.html",
        status=400 if error else 200,
        admin=admin,
        error=error,
        done=_done(query.get("done", "")),
        states=states,
        kinds=kinds,
        state=state,
        kind=kind,
        limit=LIST_LIMIT,
        **listing,
    )


def _job_org(rt: Runtime, admin: Admin, job_id: str) -> tuple[int | None, str | None]:
    """The job's organisation (id, name), once the admin may change it; NotFound if none."""
    with rt.db.begin() as session:
        job = session.get(OutboundJob, job_id)
        if job is None:
            raise NotFound(job_id)
        org_id = job_org_id(session, job)
        require(admin, Capability.QUEUE_WRITE, org_id)
        name = None if org_id is None else session.get_one(Organisation, org_id).name
        return org_id, name


async def _act(request: Request, admin: Admin, action: str) -> Response:
    await posted_form(request)
    rt: Runtime = request.app.state.rt
    job_id = str(request.path_params["job_id"])[:64]
    org = await run_in_threadpool(_job_org, rt, admin, job_id)

    def change(session: Session) -> Change:
        try:
            if action == "retry":
                job = retry_job(session, job_id, utcnow())
                return Change(job.id, {"state": job.state})
            cancelled, dsn = cancel_job(rt, session, job_id, utcnow())
        except QueueError as exc:
            raise Rollback(str(exc)) from None
        return Change(cancelled.id, {"dsn_job_id": dsn.id if dsn is not None else None})

    refused = await run_in_threadpool(
        apply, rt, admin, request, f"queue.{action}", Capability.QUEUE_WRITE, org, change
    )
    if refused is not None:
        return await queue_page(request, admin, error=refused)
    done = "retried" if action == "retry" else "cancelled"
    return RedirectResponse("/admin/queue?" + urlencode({"done": done}), status_code=303)


async def retry_queued(request: Request, admin: Admin) -> Response:
    return await _act(request, admin, "retry")


async def cancel_queued(request: Request, admin: Admin) -> Response:
    return await _act(request, admin, "cancel")

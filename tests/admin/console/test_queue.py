"""The queue page over real HTTP: who sees which jobs, retry and cancel with their audit."""

from __future__ import annotations

import json
from datetime import timedelta

from sealgate.audit import AuditEntry, entries
from sealgate.bootstrap import Runtime
from sealgate.delivery import enqueue
from sealgate.store import Message, OutboundJob, utcnow
from tests.admin.console.console import World, console_browser, log_in


def _audit(rt: Runtime, action: str) -> list[AuditEntry]:
    with rt.db.begin() as session:
        return list(entries(session, action=action))


def queued_job(rt: Runtime, world: World | None, rcpt: str, state: str = "deferred") -> str:
    """A queued job of Hospital's message (world given) or system mail (None)."""
    with rt.db.begin() as session:
        submission = (
            session.get_one(Message, world.message_id).submission_id if world is not None else None
        )
        job = enqueue(
            session,
            rt.vault,
            kind="notification" if world is not None else "account",
            mail=b"From: a@hospital.example\r\nTo: x@example.org\r\n\r\nhi\r\n",
            mail_from="alice@hospital.example",
            rcpt_to=rcpt,
            now=utcnow(),
            expiry=timedelta(days=5),
            submission_id=submission,
            state=state,
        )
        return job.id


def _state(rt: Runtime, job_id: str) -> str:
    with rt.db.begin() as session:
        return session.get_one(OutboundJob, job_id).state


async def test_an_org_admin_lists_retries_and_cancels_its_jobs(
    runtime: Runtime, world: World, base_url: str
):
    hospital = queued_job(runtime, world, "queued@example.org")
    system = queued_job(runtime, None, "invited@hospital.example")
    async with console_browser(base_url) as browser:
        await log_in(browser, world.hospital_admin)
        page = await browser.get("/admin/queue")
        assert page.status_code == 200
        assert hospital in page.text and "queued@example.org" in page.text
        assert system not in page.text  # system mail is the operator's
        only = await browser.get("/admin/queue", params={"state": "deferred", "kind": "account"})
        assert hospital not in only.text
        retried = await browser.post(f"/admin/queue/{hospital}/retry")
        assert retried.status_code == 303
        assert retried.headers["location"] == "/admin/queue?done=retried"
        refused = await browser.post(f"/admin/queue/{system}/cancel")
        assert refused.status_code == 403
        cancelled = await browser.post(f"/admin/queue/{hospital}/cancel")
        assert cancelled.status_code == 303
        again = await browser.post(f"/admin/queue/{hospital}/cancel")
        assert again.status_code == 400 and "only" in again.text
    assert _state(runtime, hospital) == "bounced" and _state(runtime, system) == "deferred"
    [retry] = _audit(runtime, "queue.retry")
    assert (retry.actor_id, retry.organisation, retry.object_id) == (
        "hanna@hospital.example",
        "Hospital",
        hospital,
    )
    [cancel] = _audit(runtime, "queue.cancel")
    assert "dsn_job_id" in json.loads(cancel.details)


async def test_the_operator_cancels_system_mail(runtime: Runtime, world: World, base_url: str):
    system = queued_job(runtime, None, "invited@hospital.example")
    async with console_browser(base_url) as browser:
        await log_in(browser, world.operator)
        page = await browser.get("/admin/queue", params={"kind": "account"})
        assert system in page.text
        assert (await browser.post(f"/admin/queue/{system}/cancel")).status_code == 303
    assert _state(runtime, system) == "bounced"
    [entry] = _audit(runtime, "queue.cancel")
    assert entry.organisation is None and entry.object_id == system


async def test_the_auditor_reads_but_cannot_change_and_a_clinic_admin_sees_none(
    runtime: Runtime, world: World, base_url: str
):
    hospital = queued_job(runtime, world, "queued@example.org")
    async with console_browser(base_url) as browser:
        await log_in(browser, world.auditor)
        page = await browser.get("/admin/queue")
        assert page.status_code == 200 and hospital in page.text
        assert f"/admin/queue/{hospital}/retry" not in page.text
        assert (await browser.post(f"/admin/queue/{hospital}/retry")).status_code == 403
    async with console_browser(base_url) as browser:
        await log_in(browser, world.clinic_admin)
        page = await browser.get("/admin/queue")
        assert page.status_code == 200 and hospital not in page.text
        assert (await browser.post(f"/admin/queue/{hospital}/cancel")).status_code == 403
    assert _state(runtime, hospital) == "deferred"
    assert _audit(runtime, "queue.retry") == [] and _audit(runtime, "queue.cancel") == []

"""The worker over a real sink: delivered, deferred then delivered, bounced with a DSN."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, update
from sqlalchemy.exc import OperationalError

from sealgate.bootstrap import Runtime
from sealgate.delivery import deliver_due, run_worker, signing, worker
from sealgate.delivery.queue import SEALED_MAIL_LIMIT
from sealgate.delivery.session import _crlf
from sealgate.delivery.signing import sign_message
from sealgate.store import OutboundJob, utcnow
from tests.conftest import Sender, free_port
from tests.delivery.conftest import (
    SECRET_LINK,
    all_jobs,
    job_row,
    large_mail,
    notification,
    queue_mail,
    runtime_with,
)
from tests.delivery.test_dkim import verifies
from tests.delivery.test_signing import _published
from tests.lab.smtp_sink import ReceivedMail, SmtpSink

SENDER = "alice@hospital.example"


async def _wait_until_due(rt: Runtime, job_id: str) -> None:
    wait = (job_row(rt, job_id).next_attempt_at - utcnow()).total_seconds()
    await asyncio.sleep(max(wait, 0) + 0.02)


def _dsn_parts(mail: ReceivedMail) -> tuple[EmailMessage, list[EmailMessage]]:
    message = mail.message
    assert message.get_content_type() == "multipart/report"
    assert message.get_param("report-type") == "delivery-status"
    return message, list(message.iter_parts())


async def test_delivered_byte_identical_and_done(runtime: Runtime, sink: SmtpSink) -> None:
    mail = notification()
    job_id = queue_mail(runtime, mail)
    assert await deliver_due(runtime) == 1
    [received] = sink.messages
    assert received.content_lf == mail.as_bytes()
    assert received.mail_from == SENDER and received.rcpt_tos == ("bob@example.org",)
    row = job_row(runtime, job_id)
    assert (row.state, row.attempts, row.lease_until) == ("done", 1, None)
    assert await deliver_due(runtime) == 0


async def test_temporary_failure_defers_then_delivers(runtime: Runtime, sink: SmtpSink) -> None:
    sink.fail_next(451, "4.3.0 try again later", at="RCPT")
    job_id = queue_mail(runtime, notification())
    before = utcnow()
    await deliver_due(runtime)
    row = job_row(runtime, job_id)
    assert (row.state, row.attempts) == ("deferred", 1)
    assert row.last_error == "451 4.3.0 try again later"
    assert row.next_attempt_at > before
    assert not sink.messages
    assert await deliver_due(runtime) == 0  # not due yet
    await _wait_until_due(runtime, job_id)
    assert await deliver_due(runtime) == 1
    assert job_row(runtime, job_id).state == "done"
    assert len(sink.messages) == 1


async def test_permanent_failure_bounces_with_a_dsn(runtime: Runtime, sink: SmtpSink) -> None:
    sink.fail_next(550, "5.1.1 <bob@example.org>: no such user", at="RCPT")
    job_id = queue_mail(runtime, notification())
    await deliver_due(runtime)
    row = job_row(runtime, job_id)
    assert (row.state, row.last_error) == ("bounced", "550 5.1.1 <bob@example.org>: no such user")
    [_, dsn_job] = all_jobs(runtime)
    assert (dsn_job.kind, dsn_job.mail_from, dsn_job.rcpt_to) == ("dsn", "", SENDER)

    await deliver_due(runtime)
    [received] = sink.messages
    assert received.mail_from == "" and received.rcpt_tos == (SENDER,)
    message, (human, status, headers) = _dsn_parts(received)
    assert message["Auto-Submitted"] == "auto-replied" and message["Message-ID"]
    assert message["From"].addresses[0].addr_spec == "noreply@gateway.example"
    assert "notification of a secure message to bob@example.org" in human.get_content()
    per_recipient = status.get_payload()[1]
    assert per_recipient["Status"] == "5.1.1" and per_recipient["Action"] == "failed"
    assert per_recipient["Final-Recipient"] == "rfc822; bob@example.org"
    assert "550 5.1.1" in per_recipient["Diagnostic-Code"]
    assert "Subject: Secure message from Alice Arts" in headers.get_content()
    assert SECRET_LINK.encode() not in received.content
    assert b"the-secret-link-token" not in received.content
    assert job_row(runtime, dsn_job.id).state == "done"


async def test_expiry_bounces_with_a_dsn(runtime: Runtime, sink: SmtpSink) -> None:
    sink.fail_next(451, "4.3.0 try again later", at="DATA")
    job_id = queue_mail(runtime, notification(), expiry=timedelta(0))
    await deliver_due(runtime)
    row = job_row(runtime, job_id)
    assert row.state == "bounced" and row.last_error.startswith("delivery time expired")
    await deliver_due(runtime)
    [received] = sink.messages
    _, (human, status, _) = _dsn_parts(received)
    assert status.get_payload()[1]["Status"] == "4.4.7"
    assert "451 4.3.0" in status.get_payload()[1]["Diagnostic-Code"]
    assert "delivery time ran out" in human.get_content()


async def test_a_bouncing_dsn_makes_no_further_dsn(runtime: Runtime, sink: SmtpSink) -> None:
    sink.fail_next(550, "5.1.1 no such user", count=2, at="RCPT")
    queue_mail(runtime, notification())
    await deliver_due(runtime)  # the notification bounces; a DSN is queued
    await deliver_due(runtime)  # the DSN bounces too
    jobs = all_jobs(runtime)
    assert [(job.kind, job.state) for job in jobs] == [
        ("notification", "bounced"),
        ("dsn", "bounced"),
    ]
    assert await deliver_due(runtime) == 0
    assert not sink.messages


async def test_no_dsn_for_a_null_sender(runtime: Runtime, sink: SmtpSink) -> None:
    sink.fail_next(550, "5.1.1 no such user", at="RCPT")
    queue_mail(runtime, notification(), kind="code", mail_from="")
    await deliver_due(runtime)
    assert [job.state for job in all_jobs(runtime)] == ["bounced"]


async def test_relay_down_defers(tmp_path: Path, database_url: str, tls_files) -> None:
    closed = f"127.0.0.1:{free_port()}"
    with runtime_with(tmp_path, database_url, tls_files, SEALGATE_DELIVERY__RELAY=closed) as rt:
        job_id = queue_mail(rt, notification())
        await deliver_due(rt)
        row = job_row(rt, job_id)
    assert row.state == "deferred" and row.last_error.startswith("4.4.1 connection failed")


async def test_a_resolver_that_cannot_be_built_defers(
    tmp_path: Path, database_url: str, tls_files
) -> None:
    """Fail closed and visible: no prober means the job is deferred with the reason, not left
    active until its lease runs out."""
    env = {"SEALGATE_DELIVERY__RELAY": "", "SEALGATE_TRANSPORT__RESOLVER": "not an address"}
    with runtime_with(tmp_path, database_url, tls_files, **env) as rt:
        job_id = queue_mail(rt, notification())
        await deliver_due(rt)
        row = job_row(rt, job_id)
    assert row.state == "deferred" and "no DNS resolver" in row.last_error


async def test_required_starttls_not_offered_defers(
    tmp_path: Path, database_url: str, tls_files, sink: SmtpSink
) -> None:
    env = {"SEALGATE_DELIVERY__RELAY": sink.address, "SEALGATE_DELIVERY__RELAY_STARTTLS": "true"}
    with runtime_with(tmp_path, database_url, tls_files, **env) as rt:
        job_id = queue_mail(rt, notification())
        await deliver_due(rt)
        row = job_row(rt, job_id)
    assert row.state == "deferred" and row.last_error.startswith("4.7.4")
    assert not sink.messages


def _claimed_until(rt: Runtime, job_id: str, lease_until: datetime) -> None:
    """Make the job look claimed by another worker, its lease running until `lease_until`."""
    with rt.db.begin() as session:
        session.execute(
            update(OutboundJob)
            .where(OutboundJob.id == job_id)
            .values(state="active", lease_until=lease_until)
        )


async def test_a_stale_lease_is_reclaimed_and_delivered(runtime: Runtime, sink: SmtpSink) -> None:
    job_id = queue_mail(runtime, notification())
    # A worker claimed the row and died: active, with a lease that has run out.
    _claimed_until(runtime, job_id, utcnow() - timedelta(seconds=1))
    assert await deliver_due(runtime) == 1
    assert job_row(runtime, job_id).state == "done"
    assert len(sink.messages) == 1


async def test_a_live_lease_is_left_alone(runtime: Runtime, sink: SmtpSink) -> None:
    job_id = queue_mail(runtime, notification())
    _claimed_until(runtime, job_id, utcnow() + timedelta(minutes=5))
    assert await deliver_due(runtime) == 0
    assert not sink.messages


async def test_an_unreadable_blob_is_parked_as_corrupt(runtime: Runtime, sink: SmtpSink) -> None:
    # A mail over SEALED_MAIL_LIMIT is a vault blob; a small one is sealed in its row.
    job_id = queue_mail(runtime, large_mail(SEALED_MAIL_LIMIT + 1))
    assert job_row(runtime, job_id).sealed_mail is None
    runtime.vault.delete(job_row(runtime, job_id).blob_id)
    assert await deliver_due(runtime) == 1
    assert job_row(runtime, job_id).state == "corrupt"


async def test_a_queued_blob_is_streamed_signed_and_sent_as_the_whole_mail_would_be(
    runtime: Runtime, sender: Sender, sink: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signing.time, "time", lambda: 1_796_000_000.0)
    body = ".leading dot\nends in dots...\nZoë  \n" * 4000
    message = f"From: {SENDER}\nTo: bob@example.org\nSubject: big\n\n{body}".encode()
    job_id = queue_mail(runtime, message)
    assert job_row(runtime, job_id).sealed_mail is None
    # The worker never reads a blob whole: only through the stream.
    monkeypatch.setattr(worker, "queued_mail", _refuse_whole_reads)
    assert await deliver_due(runtime) == 1
    [received] = sink.messages
    assert received.content == _crlf(sign_message(runtime, message))
    dns = _published(runtime, "hospital.example")
    assert verifies(received.content, dns, 0) and verifies(received.content, dns, 1)
    assert job_row(runtime, job_id).state == "done"


def _refuse_whole_reads(*_: object) -> bytes:
    raise AssertionError("a blob read whole")


async def test_an_altered_blob_is_parked_as_corrupt_before_anything_is_sent(
    runtime: Runtime, sink: SmtpSink
) -> None:
    job_id = queue_mail(runtime, large_mail(3 * SEALED_MAIL_LIMIT))
    path = runtime.vault.store.path_of(job_row(runtime, job_id).blob_id)  # type: ignore[attr-defined]
    data = bytearray(path.read_bytes())
    data[-1] ^= 1  # the last segment: the first ones would already have been sent
    path.write_bytes(bytes(data))
    assert await deliver_due(runtime) == 1
    assert job_row(runtime, job_id).state == "corrupt"
    assert not sink.messages


async def test_an_altered_sealed_mail_is_parked_as_corrupt(
    runtime: Runtime, sink: SmtpSink
) -> None:
    job_id = queue_mail(runtime, notification())
    sealed = job_row(runtime, job_id).sealed_mail
    assert sealed is not None
    altered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with runtime.db.begin() as session:
        session.execute(
            update(OutboundJob).where(OutboundJob.id == job_id).values(sealed_mail=altered)
        )
    assert await deliver_due(runtime) == 1
    assert job_row(runtime, job_id).state == "corrupt"
    assert not sink.messages


async def test_several_jobs_in_one_pass(runtime: Runtime, sink: SmtpSink) -> None:
    recipients = [f"r{n}@example.org" for n in range(12)]
    for rcpt in recipients:
        queue_mail(runtime, notification(rcpt), rcpt_to=rcpt)
    assert await deliver_due(runtime) == 12
    assert sorted(m.rcpt_tos[0] for m in sink.messages) == sorted(recipients)


async def test_run_worker_delivers_until_stopped(runtime: Runtime, sink: SmtpSink) -> None:
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(runtime, stop))
    try:
        queue_mail(runtime, notification())
        await sink.wait_for(lambda mail: "bob@example.org" in mail.rcpt_tos, timeout=10)
    finally:
        stop.set()
        await asyncio.wait_for(worker, 5)
    assert [job.state for job in all_jobs(runtime)] == ["done"]


async def test_run_worker_wakes_on_a_commit_not_the_poll_interval(
    tmp_path: Path, database_url: str, tls_files, sink: SmtpSink
) -> None:
    """A job queued while the worker sleeps goes out long before the 30 s poll interval."""
    env = {"SEALGATE_DELIVERY__RELAY": sink.address, "SEALGATE_DELIVERY__POLL_INTERVAL": "30"}
    with runtime_with(tmp_path, database_url, tls_files, **env) as rt:
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(rt, stop))
        try:
            await asyncio.sleep(0.3)  # the first, empty pass is over: the worker sleeps
            started = asyncio.get_running_loop().time()
            await asyncio.to_thread(queue_mail, rt, notification())
            await sink.wait_for(lambda mail: "bob@example.org" in mail.rcpt_tos, timeout=10)
            assert asyncio.get_running_loop().time() - started < 3
        finally:
            stop.set()
            await asyncio.wait_for(worker, 5)


# Batched outcome writes: one transaction per batch, all or nothing, fenced row by row.

OUTCOME_UPDATE = "UPDATE outbound_jobs"


def _is_outcome(statement: str) -> bool:
    """An UPDATE that leaves `active` (queue._finish counts the attempt; a claim does not)."""
    return statement.startswith(OUTCOME_UPDATE) and "attempts" in statement


@contextlib.contextmanager
def _outcome_commits(rt: Runtime, first_delay: float = 0.0) -> Iterator[list[int]]:
    """Per committed transaction that wrote outcomes, how many; the very first outcome
    UPDATE waits `first_delay` seconds, so that the outcomes behind it pile up."""
    commits: list[int] = []
    seen = {"any": False}

    def on_execute(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if _is_outcome(statement):
            conn.info["outcomes"] = conn.info.get("outcomes", 0) + 1
            if not seen["any"]:
                seen["any"] = True
                time.sleep(first_delay)

    def on_commit(conn: Any) -> None:
        if written := conn.info.pop("outcomes", 0):
            commits.append(written)

    def on_rollback(conn: Any) -> None:
        conn.info.pop("outcomes", None)

    hooks = (("before_cursor_execute", on_execute), ("commit", on_commit))
    hooks += (("rollback", on_rollback),)
    for name, hook in hooks:
        event.listen(rt.db.engine, name, hook)
    try:
        yield commits
    finally:
        for name, hook in hooks:
            event.remove(rt.db.engine, name, hook)


async def test_outcomes_that_arrive_together_share_one_transaction(
    runtime: Runtime, sink: SmtpSink
) -> None:
    jobs = [
        queue_mail(runtime, notification(f"r{n}@example.org"), rcpt_to=f"r{n}@example.org")
        for n in range(12)
    ]
    with _outcome_commits(runtime, first_delay=0.5) as commits:
        assert await deliver_due(runtime) == 12
    # The first outcomes are written at once; those that came meanwhile, in few commits.
    assert sum(commits) == 12 and len(commits) <= 6, commits
    assert {job_row(runtime, job_id).state for job_id in jobs} == {"done"}
    assert len(sink.messages) == 12


async def test_a_failed_batch_is_written_row_by_row(runtime: Runtime, sink: SmtpSink) -> None:
    """One row that cannot be written keeps only itself unwritten, not its batch."""
    jobs = [
        queue_mail(runtime, notification(f"r{n}@example.org"), rcpt_to=f"r{n}@example.org")
        for n in range(4)
    ]
    bad = jobs[2]

    def refuse(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if _is_outcome(statement) and bad in repr(parameters):
            raise OperationalError(statement, parameters, RuntimeError("disk on fire"))

    event.listen(runtime.db.engine, "before_cursor_execute", refuse)
    try:
        with _outcome_commits(runtime, first_delay=0.3):
            assert await deliver_due(runtime) == 4
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", refuse)
    states = {job_id: job_row(runtime, job_id).state for job_id in jobs}
    assert states.pop(bad) == "active"  # keeps its lease: sent again after it runs out
    assert set(states.values()) == {"done"}


CRASHING_WORKER = """
import asyncio, os, time
from sqlalchemy import event
from sealgate.bootstrap import open_runtime
from sealgate.config import load
from sealgate.delivery import deliver_due

rt = open_runtime(load(None, os.environ))
batches = []

def on_execute(conn, cursor, statement, parameters, context, executemany):
    if statement.startswith("UPDATE outbound_jobs") and "attempts" in statement:
        conn.info["outcomes"] = conn.info.get("outcomes", 0) + 1
        if not batches and conn.info["outcomes"] == 1:
            time.sleep(1.0)  # the first batch: the other outcomes pile up behind it
        elif conn.info["outcomes"] == 2:
            # SIGKILL arrives here: one row of this batch written, the rest not yet.
            print(sum(batches), flush=True)
            time.sleep(60)

def on_commit(conn):
    if written := conn.info.pop("outcomes", 0):
        batches.append(written)

event.listen(rt.db.engine, "before_cursor_execute", on_execute)
event.listen(rt.db.engine, "commit", on_commit)
asyncio.run(deliver_due(rt))
"""


async def test_a_crash_during_a_batched_outcome_write_resends_exactly_once(
    runtime: Runtime, sink: SmtpSink
) -> None:
    recipients = [f"r{n}@example.org" for n in range(6)]
    jobs = {queue_mail(runtime, notification(rcpt), rcpt_to=rcpt): rcpt for rcpt in recipients}
    env = {
        **os.environ,
        "SEALGATE_STORAGE__DATA_DIR": runtime.settings.storage.data_dir,
        "SEALGATE_STORAGE__DATABASE_URL": runtime.settings.database_url,
        "SEALGATE_DELIVERY__RELAY": sink.address,
        "SEALGATE_DELIVERY__SYSTEM_FROM": "noreply@gateway.example",
    }
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CRASHING_WORKER, env=env, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        # From inside a batch of two or more, the child prints how many it committed before.
        committed = int(await asyncio.wait_for(child.stdout.readline(), 30))
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    assert len(sink.messages) == 6  # every job was sent before the crash
    states = {job_id: job_row(runtime, job_id).state for job_id in jobs}
    # All or nothing: the batches before are done, no job of the interrupted one is.
    assert 6 - committed >= 2
    assert sorted(states.values()) == ["active"] * (6 - committed) + ["done"] * committed
    # Their leases run out; a worker sends each unrecorded job once more, the done one never.
    with runtime.db.begin() as session:
        session.execute(
            update(OutboundJob)
            .where(OutboundJob.state == "active")
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )
    assert await deliver_due(runtime) == 6 - committed
    assert await deliver_due(runtime) == 0
    assert {job_row(runtime, job_id).state for job_id in jobs} == {"done"}
    received = [mail.rcpt_tos[0] for mail in sink.messages]
    for job_id, rcpt in jobs.items():
        assert received.count(rcpt) == (1 if states[job_id] == "done" else 2)


async def test_several_workers_deliver_each_job_exactly_once(
    tmp_path: Path, database_url: str, tls_files, sink: SmtpSink
) -> None:
    env = {"SEALGATE_DELIVERY__RELAY": sink.address, "SEALGATE_DELIVERY__WORKERS": "4"}
    with runtime_with(tmp_path, database_url, tls_files, **env) as rt:
        recipients = [f"r{n}@example.org" for n in range(80)]
        for rcpt in recipients:
            queue_mail(rt, notification(rcpt), rcpt_to=rcpt)
        stop = asyncio.Event()
        workers = [
            asyncio.create_task(run_worker(rt, stop)) for _ in range(rt.settings.delivery.workers)
        ]
        try:
            for _ in range(200):
                if len(sink.messages) >= len(recipients):
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)  # time for a second copy, were there one
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*workers), 10)
        assert sorted(m.rcpt_tos[0] for m in sink.messages) == sorted(recipients)
        assert {job.state for job in all_jobs(rt)} == {"done"}

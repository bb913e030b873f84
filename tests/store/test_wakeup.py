"""Wake-ups: a commit that writes a runner's table wakes it; a rollback wakes nobody."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlalchemy import update

from sealgate.bootstrap import Runtime
from sealgate.directory import create_org
from sealgate.store import Database, Submission, new_id, utcnow
from sealgate.store.wakeup import Waiter, Wakeups


def _add_submission(rt: Runtime, org_id: int) -> str:
    with rt.db.begin() as session:
        submission = Submission(
            id=new_id(),
            org_id=org_id,
            account_id=None,
            mail_from="",
            rcpt_to=["bob@example.org"],
            blob_id="none",
            size=1,
            received_at=utcnow(),
        )
        session.add(submission)
    return submission.id


async def _quiet(waiter: Waiter) -> None:
    """Let pass the wake-up a new LISTEN gives (PostgreSQL), so that a test can expect none."""
    while await waiter.wait(0.7, asyncio.Event()):
        pass


def _org(rt: Runtime) -> int:
    with rt.db.begin() as session:
        return create_org(session, "Hospital", ["hospital.example"]).id


async def test_a_commit_in_another_thread_wakes_the_waiter_at_once(runtime: Runtime) -> None:
    org_id = _org(runtime)
    waiter = runtime.wakeups.waiter("submissions")
    stop = asyncio.Event()
    started = time.monotonic()
    waiting = asyncio.create_task(waiter.wait(10, stop))
    await asyncio.sleep(0.05)
    await asyncio.to_thread(_add_submission, runtime, org_id)
    assert await asyncio.wait_for(waiting, 5) is True
    assert time.monotonic() - started < 2


async def test_a_commit_before_the_wait_is_not_lost(runtime: Runtime) -> None:
    org_id = _org(runtime)
    waiter = runtime.wakeups.waiter("submissions")
    await _quiet(waiter)
    await asyncio.to_thread(_add_submission, runtime, org_id)
    assert await asyncio.wait_for(waiter.wait(10, asyncio.Event()), 2) is True
    # Consumed: the next wait sleeps its full timeout (the NOTIFY echo aside, on PostgreSQL).
    await _quiet(waiter)
    assert await waiter.wait(0.1, asyncio.Event()) is False


async def test_an_update_statement_wakes_its_table_only(runtime: Runtime) -> None:
    org_id = _org(runtime)
    submission_id = _add_submission(runtime, org_id)
    jobs, submissions = (runtime.wakeups.waiter(t) for t in ("outbound_jobs", "submissions"))
    await _quiet(jobs)
    await _quiet(submissions)
    with runtime.db.begin() as session:
        session.execute(
            update(Submission).where(Submission.id == submission_id).values(state="done")
        )
    assert await submissions.wait(5, asyncio.Event()) is True
    assert await jobs.wait(0.1, asyncio.Event()) is False


async def test_a_rollback_wakes_nobody(runtime: Runtime) -> None:
    org_id = _org(runtime)
    waiter = runtime.wakeups.waiter("submissions")
    await _quiet(waiter)
    with pytest.raises(RuntimeError), runtime.db.begin() as session:
        session.add(
            Submission(
                id=new_id(),
                org_id=org_id,
                mail_from="",
                rcpt_to=[],
                blob_id="none",
                size=1,
                received_at=utcnow(),
            )
        )
        session.flush()
        raise RuntimeError("abandon")
    assert await waiter.wait(0.2, asyncio.Event()) is False


async def test_stop_ends_the_wait(runtime: Runtime) -> None:
    waiter = runtime.wakeups.waiter("outbound_jobs")
    await _quiet(waiter)
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, stop.set)
    started = time.monotonic()
    assert await waiter.wait(10, stop) is False
    assert time.monotonic() - started < 2


def test_an_unknown_channel_is_refused(runtime: Runtime) -> None:
    with pytest.raises(ValueError):
        runtime.wakeups.waiter("accounts")


async def test_a_commit_in_another_process_wakes_through_listen_notify(runtime: Runtime) -> None:
    """Another engine stands in for another process: only NOTIFY can reach its waiters."""
    if runtime.db.is_sqlite:
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite runners poll across processes")
    org_id = _org(runtime)
    other = Database(runtime.db.url)
    wakeups = Wakeups(other)
    try:
        waiter = wakeups.waiter("submissions")
        # The first wait returns when LISTEN is in place (it wakes once to cover the gap).
        await asyncio.wait_for(waiter.wait(10, asyncio.Event()), 5)
        started = time.monotonic()
        waiting = asyncio.create_task(waiter.wait(10, asyncio.Event()))
        await asyncio.to_thread(_add_submission, runtime, org_id)
        assert await asyncio.wait_for(waiting, 5) is True
        assert time.monotonic() - started < 2
    finally:
        wakeups.close()
        other.dispose()


def test_the_listen_thread_stops_on_close(runtime: Runtime) -> None:
    runtime.wakeups.waiter("outbound_jobs")
    runtime.wakeups.close()
    assert not any(t.name == "sealgate-listen" and t.is_alive() for t in threading.enumerate())

"""The SQLite writer lock: many threads writing queue for it instead of failing busy."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select, update

from sealgate.bootstrap import Runtime
from sealgate.directory import create_org
from sealgate.store import SmsQuota, utcnow
from sealgate.store.session import WRITER_LOCK_WAIT

THREADS = 16
ROUNDS = 25


def _org(rt: Runtime) -> int:
    with rt.db.begin() as session:
        org_id = create_org(session, "Hospital", ["hospital.example"]).id
        session.add(SmsQuota(org_id=org_id, window_started_at=utcnow(), sends=0))
    return org_id


def _count_up(rt: Runtime, org_id: int, start: threading.Barrier) -> None:
    """Read, then write what was read plus one: a lost update shows in the final count."""
    start.wait()
    for _ in range(ROUNDS):
        with rt.db.begin(write=True) as session:
            quota = session.scalars(
                select(SmsQuota).where(SmsQuota.org_id == org_id).with_for_update()
            ).one()
            quota.sends = quota.sends + 1


def test_many_threads_read_then_write_without_busy_errors_or_lost_updates(
    runtime: Runtime,
) -> None:
    org_id = _org(runtime)
    start = threading.Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        # Any "database is locked" would surface here, from .result().
        for future in [pool.submit(_count_up, runtime, org_id, start) for _ in range(THREADS)]:
            future.result()
    with runtime.db.begin() as session:
        assert session.get_one(SmsQuota, org_id).sends == THREADS * ROUNDS


def test_writers_that_do_not_say_so_in_advance_take_the_lock_at_their_first_write(
    runtime: Runtime,
) -> None:
    org_id = _org(runtime)
    start = threading.Barrier(THREADS)

    def insert_rows() -> None:
        start.wait()
        for _ in range(ROUNDS):
            with runtime.db.begin() as session:
                quota = session.get_one(SmsQuota, org_id)
                quota.window_started_at = utcnow()

    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(insert_rows) for _ in range(THREADS)]:
            future.result()


def test_a_nested_unit_of_work_in_the_same_thread_does_not_wait_for_itself(
    runtime: Runtime,
) -> None:
    org_id = _org(runtime)
    with runtime.db.begin(write=True) as outer:
        outer.get_one(SmsQuota, org_id).sends = 5
        with runtime.db.begin() as inner:  # a read in the same thread: no deadlock
            assert inner.get_one(SmsQuota, org_id) is not None
    with runtime.db.begin() as session:
        assert session.get_one(SmsQuota, org_id).sends == 5


def test_the_lock_is_free_after_a_rollback(runtime: Runtime) -> None:
    org_id = _org(runtime)
    try:
        with runtime.db.begin(write=True) as session:
            session.get_one(SmsQuota, org_id).sends = 9
            raise ValueError("abandon")
    except ValueError:
        pass

    def write_elsewhere() -> None:
        with runtime.db.begin(write=True) as session:
            session.get_one(SmsQuota, org_id).sends = 1

    thread = threading.Thread(target=write_elsewhere)
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_more_writers_than_pooled_connections_do_not_wait_on_each_other(
    runtime: Runtime, caplog
) -> None:
    # Some write first (the lock comes at their first statement), some read first (they hold
    # a connection, then want the lock): the lock must never go to a session that still
    # waits for a connection, or both kinds wait on each other until WRITER_LOCK_WAIT.
    org_id = _org(runtime)
    threads = 40
    start = threading.Barrier(threads)

    def write_first() -> None:
        start.wait()
        for _ in range(5):
            with runtime.db.begin() as session:
                session.execute(
                    update(SmsQuota)
                    .where(SmsQuota.org_id == org_id)
                    .values(sends=SmsQuota.sends + 1)
                )

    def read_first() -> None:
        start.wait()
        for _ in range(5):
            with runtime.db.begin() as session:
                session.get_one(SmsQuota, org_id)
                session.execute(
                    update(SmsQuota)
                    .where(SmsQuota.org_id == org_id)
                    .values(sends=SmsQuota.sends + 1)
                )

    began = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        kinds = [write_first, read_first] * (threads // 2)
        for future in [pool.submit(kind) for kind in kinds]:
            future.result()
    assert time.monotonic() - began < WRITER_LOCK_WAIT
    assert "writer lock busy" not in caplog.text
    with runtime.db.begin() as session:
        assert session.get_one(SmsQuota, org_id).sends == threads * 5

"""The audit trail in the database: one chain under parallel appends, tamper-evident, prunable."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest
from sqlalchemy import text

from sealgate.audit import AuditError, entries, newest, prune, record, verify
from sealgate.audit.chain import GENESIS_HASH
from sealgate.bootstrap import Runtime
from sealgate.store import Database, utcnow


def _append(rt: Runtime, n: int, action: str = "account.add") -> None:
    for i in range(n):
        with rt.db.begin() as session:
            record(session, action, "cli:root", organisation="Hospital", target=str(i))


def test_entries_link_into_one_chain_from_genesis(runtime: Runtime) -> None:
    with runtime.db.begin() as session:
        first = record(
            session,
            "portal.open",
            "guest:bob@example.org",
            client="127.0.0.1",
            target="r1",
            details={"proof": "email_code"},
        )
        second = record(session, "policy.set", "system")
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH and second.prev_hash == first.entry_hash
    with runtime.db.begin() as session:
        stored = list(entries(session))
        result = verify(session)
    assert stored == [first, second]
    assert result.intact and result.entries == 2 and result.head_hash == second.entry_hash


def test_an_entry_rolls_back_with_its_transaction(runtime: Runtime) -> None:
    with pytest.raises(RuntimeError), runtime.db.begin() as session:
        record(session, "account.add", "cli:root")
        raise RuntimeError("the recorded change failed")
    _append(runtime, 1)
    with runtime.db.begin() as session:
        assert [entry.seq for entry in entries(session)] == [1]
        assert verify(session).intact


def test_content_and_unknown_actors_are_refused(runtime: Runtime) -> None:
    with runtime.db.begin() as session:
        with pytest.raises(AuditError):
            record(session, "portal.download", "guest:bob@example.org", details={"filename": "x"})
        with pytest.raises(AuditError):
            record(session, "portal.open", "somebody")
        with pytest.raises(AuditError):
            record(session, "portal.open", "guest:")


def test_parallel_appends_keep_one_unbroken_chain(runtime: Runtime) -> None:
    # Eight writers with connections of their own: on PostgreSQL they race for the head
    # row's lock; on SQLite for the writer lock.
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            _append(runtime, 15)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with runtime.db.begin() as session:
        result = verify(session)
        seqs = [entry.seq for entry in entries(session)]
    assert result.intact, result
    assert seqs == list(range(1, 121)) and result.head_seq == 120


def _append_from_process(url: str, n: int) -> None:
    """A process of its own, with its own engine (and, on SQLite, its own writer lock)."""
    db = Database(url)
    try:
        for i in range(n):
            with db.begin() as session:
                record(session, "queue.retry", "system", target=str(i))
    finally:
        db.dispose()


def test_appends_from_many_processes_keep_one_unbroken_chain(runtime: Runtime) -> None:
    spawn = multiprocessing.get_context("spawn")
    processes = [
        spawn.Process(target=_append_from_process, args=(runtime.settings.database_url, 20))
        for _ in range(4)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [process.exitcode for process in processes] == [0, 0, 0, 0]
    with runtime.db.begin() as session:
        result = verify(session)
    assert result.intact and result.entries == 80 and result.head_seq == 80


def test_an_edited_row_is_named(runtime: Runtime) -> None:
    _append(runtime, 5)
    with runtime.db.begin() as session:
        session.execute(text("UPDATE audit_entries SET actor_id = 'mallory' WHERE seq = 3"))
    with runtime.db.begin() as session:
        result = verify(session)
    assert not result.intact and result.broken_seq == 3


def test_an_edited_detail_is_named(runtime: Runtime) -> None:
    _append(runtime, 3)
    with runtime.db.begin() as session:
        session.execute(
            text("UPDATE audit_entries SET details = :d WHERE seq = 2"), {"d": '{"x":1}'}
        )
    with runtime.db.begin() as session:
        assert verify(session).broken_seq == 2


def test_deleted_rows_are_noticed_in_the_middle_and_at_the_head(runtime: Runtime) -> None:
    _append(runtime, 5)
    with runtime.db.begin() as session:
        session.execute(text("DELETE FROM audit_entries WHERE seq = 5"))
    with runtime.db.begin() as session:
        result = verify(session)
    assert result.broken_seq == 5 and "missing" in result.reason
    with runtime.db.begin() as session:
        session.execute(text("DELETE FROM audit_entries WHERE seq = 2"))
    with runtime.db.begin() as session:
        assert verify(session).broken_seq == 3


def test_newest_and_filters(runtime: Runtime) -> None:
    _append(runtime, 3)
    _append(runtime, 2, action="portal.open")
    with runtime.db.begin() as session:
        assert [e.seq for e in newest(session, 2)] == [4, 5]
        assert [e.seq for e in entries(session, action="portal")] == [4, 5]
        assert [e.seq for e in entries(session, actor="cli:root")] == [1, 2, 3, 4, 5]
        assert list(entries(session, actor="guest")) == []


def test_prune_keeps_the_rest_verifiable(runtime: Runtime) -> None:
    _append(runtime, 3)
    time.sleep(0.01)
    cutoff = utcnow()
    time.sleep(0.01)
    _append(runtime, 2)
    with runtime.db.begin() as session:
        assert prune(session, cutoff) == 3
    with runtime.db.begin() as session:
        assert prune(session, cutoff) == 0
        result = verify(session)
        assert [entry.seq for entry in entries(session)] == [4, 5]
    assert result.intact and result.anchor_seq == 3 and result.entries == 2
    _append(runtime, 1)
    with runtime.db.begin() as session:
        session.execute(text("DELETE FROM audit_entries WHERE seq = 4"))
    with runtime.db.begin() as session:
        assert verify(session).broken_seq == 5


def test_prune_refuses_to_delete_a_tampered_entry(runtime: Runtime) -> None:
    _append(runtime, 3)
    with runtime.db.begin() as session:
        session.execute(text("UPDATE audit_entries SET action = 'nothing' WHERE seq = 2"))
    with pytest.raises(AuditError, match="entry 2"), runtime.db.begin() as session:
        prune(session, utcnow())
    with runtime.db.begin() as session:
        assert verify(session).broken_seq == 2

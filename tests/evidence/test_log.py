"""Appending to and reading a message's evidence chain on a real database (SQLite or PG).

Two processes (and two sessions of one process) appending to one message at once must
leave one unbroken chain: seq 1..N without gaps, each event linked to the one before.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time

import pytest
from sqlalchemy import text

from sealgate.audit import GENESIS_HASH
from sealgate.bootstrap import Runtime
from sealgate.evidence import EvidenceError, load, record, verify
from sealgate.store import Database
from tests.conftest import Sender
from tests.portal.recipients import Spec, store_for


@pytest.fixture
def two(runtime: Runtime, sender: Sender) -> tuple[str, str, str]:
    """(message id, recipient id of pat, recipient id of a second message's guest)."""
    pat = store_for(runtime, sender, [Spec("pat@example.org")])["pat@example.org"]
    other = store_for(runtime, sender, [Spec("olga@example.org")])["olga@example.org"]
    with runtime.db.begin() as session:
        message_id = session.execute(
            text("SELECT message_id FROM recipients WHERE id = :id"), {"id": pat.recipient_id}
        ).scalar_one()
    return message_id, pat.recipient_id, other.recipient_id


def test_events_chain_in_order_and_verify(runtime: Runtime, two: tuple[str, str, str]) -> None:
    message_id, pat, _ = two
    with runtime.db.begin() as session:
        first = record(session, message_id, "accepted", submission_id="s1")
        second = record(session, message_id, "opened", pat)
    with runtime.db.begin() as session:
        events = load(session, message_id)
        assert verify(session, message_id) is None
    assert events == [first, second]
    assert [e.seq for e in events] == [1, 2]
    assert events[0].prev_hash == GENESIS_HASH and events[1].prev_hash == events[0].entry_hash
    assert events[0].recipient is None and events[1].recipient == "pat@example.org"


def test_an_event_rolls_back_with_its_state_change(
    runtime: Runtime, two: tuple[str, str, str]
) -> None:
    message_id, pat, _ = two
    with pytest.raises(RuntimeError), runtime.db.begin() as session:
        record(session, message_id, "opened", pat)
        raise RuntimeError("the state change failed")
    with runtime.db.begin() as session:
        assert load(session, message_id) == []


def test_a_recipient_of_another_message_is_refused(
    runtime: Runtime, two: tuple[str, str, str]
) -> None:
    message_id, _, other = two
    with pytest.raises(EvidenceError), runtime.db.begin() as session:
        record(session, message_id, "opened", other)


def test_content_in_details_is_refused(runtime: Runtime, two: tuple[str, str, str]) -> None:
    message_id, pat, _ = two
    with pytest.raises(EvidenceError), runtime.db.begin() as session:
        record(session, message_id, "downloaded", pat, filename="diagnosis.pdf")


def test_an_edited_event_is_named_by_verify(runtime: Runtime, two: tuple[str, str, str]) -> None:
    message_id, pat, _ = two
    with runtime.db.begin() as session:
        for n in range(3):
            record(session, message_id, "downloaded", pat, index=n, size=10)
    with runtime.db.begin() as session:
        session.execute(
            text("UPDATE evidence_events SET details = :d WHERE message_id = :m AND seq = 2"),
            {"d": '{"index": 1, "size": 11}', "m": message_id},
        )
    with runtime.db.begin() as session:
        broken = verify(session, message_id)
    assert broken is not None and (broken.seq, broken.kind) == (2, "downloaded")


def test_a_session_that_appends_while_another_holds_its_event_gets_the_next_seq(
    runtime: Runtime, two: tuple[str, str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """On PostgreSQL the second INSERT waits for the first commit, finds its seq taken and
    retries; on SQLite it waits for the writer lock. Either way: no fork, no gap."""
    message_id, pat, _ = two
    caplog.set_level(logging.DEBUG, "sealgate.evidence")
    done: list[int] = []

    def second() -> None:
        with runtime.db.begin() as session:
            done.append(record(session, message_id, "opened", pat).seq)

    with runtime.db.begin() as session:
        record(session, message_id, "accepted")
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)
    thread.join(timeout=30)
    assert done == [2]
    with runtime.db.begin() as session:
        assert verify(session, message_id) is None
    if not runtime.db.is_sqlite:
        assert "seq 1 of message" in caplog.text  # it lost the race to seq 1, and retried


def _append_many(url: str, message_id: str, recipient_id: str, n: int, start: float) -> None:
    db = Database(url)
    time.sleep(max(0.0, start - time.time()))
    for i in range(n):
        with db.begin() as session:
            record(session, message_id, "downloaded", recipient_id, index=i, size=i)
    db.dispose()


def test_two_processes_appending_at_once_leave_one_chain(
    runtime: Runtime, two: tuple[str, str, str]
) -> None:
    message_id, pat, _ = two
    url = runtime.settings.database_url
    context = multiprocessing.get_context("spawn")
    start = time.time() + 2.0
    workers = [
        context.Process(target=_append_many, args=(url, message_id, pat, 20, start))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    with runtime.db.begin() as session:
        events = load(session, message_id)
        assert verify(session, message_id) is None
    assert [e.seq for e in events] == list(range(1, 41))

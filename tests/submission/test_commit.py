"""commit_submission: the blob and the row, both or neither."""

from __future__ import annotations

import asyncio
import dataclasses
import threading

import pytest
from sqlalchemy import event, select, text

from sealgate.bootstrap import Runtime
from sealgate.directory import add_account, create_org
from sealgate.store import Submission
from sealgate.submission import commit as commit_module
from sealgate.submission.commit import AcceptedMessage, GroupCommitter, commit_submission


def _accepted(rt: Runtime, raw: bytes) -> AcceptedMessage:
    # An account without a password: no argon2 hashing, so the test stays fast.
    with rt.db.begin() as session:
        create_org(session, "Hospital", ["hospital.example"])
        account = add_account(session, "alice@hospital.example", "Hospital")
    return AcceptedMessage(
        raw=raw,
        org_id=account.org_id,
        account_id=account.id,
        mail_from=account.email,
        rcpt_to=("bob@example.org", "carol@example.net"),
        client_address="192.0.2.7",
        authenticated_as="sg-0123456789abcdef",
    )


def _blob_files(rt: Runtime) -> list[str]:
    return [p.name for p in (rt.settings.data_dir / "blobs").rglob("*") if p.is_file()]


def test_commit_writes_blob_then_row(runtime: Runtime) -> None:
    raw = b"From: alice@hospital.example\r\n\r\nbody\r\n"
    queue_id = commit_submission(runtime, _accepted(runtime, raw))
    with runtime.db.begin() as session:
        row = session.scalars(select(Submission)).one()
    assert (row.id, row.state, row.size, row.client_address) == (
        queue_id,
        "incoming",
        len(raw),
        "192.0.2.7",
    )
    assert row.rcpt_to == ["bob@example.org", "carol@example.net"]
    assert row.authenticated_as == "sg-0123456789abcdef"
    assert len(queue_id) == 32 and _blob_files(runtime) == [row.blob_id]
    assert runtime.vault.get_bytes(row.blob_id) == raw
    # The vault keeps ciphertext only.
    assert (
        b"body" not in next((runtime.settings.data_dir / "blobs").rglob(row.blob_id)).read_bytes()
    )


def test_failed_row_removes_the_blob(runtime: Runtime) -> None:
    accepted = _accepted(runtime, b"From: alice@hospital.example\r\n\r\nbody\r\n")
    with runtime.db.engine.begin() as connection:
        connection.execute(text("ALTER TABLE submissions RENAME TO submissions_away"))
    try:
        with pytest.raises(Exception, match="submissions"):
            commit_submission(runtime, accepted)
    finally:
        with runtime.db.engine.begin() as connection:
            connection.execute(text("ALTER TABLE submissions_away RENAME TO submissions"))
    assert _blob_files(runtime) == []
    with runtime.db.begin() as session:
        assert session.scalars(select(Submission)).all() == []


# --- Group commit -------------------------------------------------------------------------


def _message(accepted: AcceptedMessage, index: int, **changes: object) -> AcceptedMessage:
    raw = f"From: alice@hospital.example\r\nSubject: {index}\r\n\r\nbody {index}\r\n".encode()
    return dataclasses.replace(accepted, raw=raw, **changes)  # type: ignore[arg-type]


def _count_commits(runtime: Runtime) -> list[int]:
    commits: list[int] = []
    event.listen(runtime.db.engine, "commit", lambda _connection: commits.append(1))
    return commits


async def test_group_commit_shares_transactions_and_every_row_is_durable(
    runtime: Runtime,
) -> None:
    accepted = _accepted(runtime, b"")
    committer = GroupCommitter(runtime)
    commits = _count_commits(runtime)
    messages = [_message(accepted, i) for i in range(40)]
    queue_ids = await asyncio.gather(*(committer.commit(m) for m in messages))
    await committer.close()
    assert len(set(queue_ids)) == 40
    # 40 sessions at once share far fewer transactions than one each.
    assert 1 <= len(commits) < 40
    with runtime.db.begin() as session:
        rows = {row.id: row for row in session.scalars(select(Submission))}
    assert set(rows) == set(queue_ids)
    for queue_id, message in zip(queue_ids, messages, strict=True):
        assert rows[queue_id].state == "incoming"
        assert runtime.vault.get_bytes(rows[queue_id].blob_id) == message.raw
    assert sorted(_blob_files(runtime)) == sorted(row.blob_id for row in rows.values())


async def test_a_batch_takes_at_most_max_batch_rows(runtime: Runtime) -> None:
    accepted = _accepted(runtime, b"")
    committer = GroupCommitter(runtime, max_batch=4)
    commits = _count_commits(runtime)
    await asyncio.gather(*(committer.commit(_message(accepted, i)) for i in range(12)))
    await committer.close()
    assert len(commits) >= 3


async def test_one_bad_row_fails_only_its_own_session_and_its_blob_is_deleted(
    runtime: Runtime,
) -> None:
    accepted = _accepted(runtime, b"")
    committer = GroupCommitter(runtime)
    # mail_from is NOT NULL: that row cannot commit.
    bad = _message(accepted, 99, mail_from=None)
    good = [_message(accepted, i) for i in range(6)]
    results = await asyncio.gather(
        *(committer.commit(m) for m in [*good[:3], bad, *good[3:]]), return_exceptions=True
    )
    await committer.close()
    assert isinstance(results[3], Exception)
    queue_ids = [r for r in results if isinstance(r, str)]
    assert len(queue_ids) == 6
    with runtime.db.begin() as session:
        rows = session.scalars(select(Submission)).all()
    assert sorted(row.id for row in rows) == sorted(queue_ids)
    # The bad row's blob is gone; every committed row's blob is there and readable.
    assert sorted(_blob_files(runtime)) == sorted(row.blob_id for row in rows)
    for row in rows:
        assert runtime.vault.get_bytes(row.blob_id).startswith(b"From: alice")


async def test_a_failed_commit_answers_every_waiting_session_with_the_error(
    runtime: Runtime,
) -> None:
    accepted = _accepted(runtime, b"")
    committer = GroupCommitter(runtime)
    with runtime.db.engine.begin() as connection:
        connection.execute(text("ALTER TABLE submissions RENAME TO submissions_away"))
    try:
        results = await asyncio.gather(
            *(committer.commit(_message(accepted, i)) for i in range(5)),
            return_exceptions=True,
        )
    finally:
        with runtime.db.engine.begin() as connection:
            connection.execute(text("ALTER TABLE submissions_away RENAME TO submissions"))
    await committer.close()
    assert all(isinstance(r, Exception) for r in results)
    assert _blob_files(runtime) == []


async def test_rows_that_arrive_during_a_commit_form_the_next_batch(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No timer: an idle committer commits the first row at once, and the rows queued while
    that commit runs go together in the very next transaction."""
    accepted = _accepted(runtime, b"")
    committer = GroupCommitter(runtime)
    batches: list[int] = []
    entered, release = threading.Event(), threading.Event()
    real_write_rows = commit_module.write_rows

    def slow_first(rt: Runtime, rows: list[dict[str, object]], turn: object = None) -> object:
        batches.append(len(rows))
        if len(batches) == 1:
            entered.set()
            assert release.wait(10)
        return real_write_rows(rt, rows, turn)  # type: ignore[arg-type]

    monkeypatch.setattr(commit_module, "write_rows", slow_first)
    first = asyncio.ensure_future(committer.commit(_message(accepted, 0)))
    assert await asyncio.to_thread(entered.wait, 10)
    later = [asyncio.ensure_future(committer.commit(_message(accepted, i))) for i in range(1, 6)]
    # Every later blob is durable and its row queued behind the commit in progress.
    while len(_blob_files(runtime)) < 6 or len(committer._queued) < 5:
        await asyncio.sleep(0.01)
    release.set()
    queue_ids = await asyncio.gather(first, *later)
    await committer.close()
    assert batches == [1, 5]
    with runtime.db.begin() as session:
        assert sorted(session.scalars(select(Submission.id))) == sorted(queue_ids)


async def test_a_session_that_goes_away_does_not_take_its_row_out(runtime: Runtime) -> None:
    accepted = _accepted(runtime, b"")
    committer = GroupCommitter(runtime)
    task = asyncio.ensure_future(committer.commit(_message(accepted, 0)))
    await asyncio.sleep(0)
    task.cancel()
    await committer.close()
    with runtime.db.begin() as session:
        rows = session.scalars(select(Submission)).all()
    assert len(rows) == 1 and _blob_files(runtime) == [rows[0].blob_id]

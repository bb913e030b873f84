"""commit_submission: the blob and the row, both or neither."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from sealgate.bootstrap import Runtime
from sealgate.directory import add_account, create_org
from sealgate.store import Submission
from sealgate.submission.commit import AcceptedMessage, commit_submission


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

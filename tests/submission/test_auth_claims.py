"""AUTH's one-transaction check: a right login writes nothing, a wrong one is counted, and a
credential still in the argon2 form is checked outside the claims' locks and upgraded."""

from __future__ import annotations

import asyncio

from sqlalchemy import event, select

from sealgate.bootstrap import Runtime
from sealgate.directory.passwords import hash_password
from sealgate.store import AuthFailure, SmtpCredential
from sealgate.submission import SubmissionServer
from sealgate.submission import replies as r
from tests.conftest import Sender
from tests.submission.smtp_client import connect_tls, plain_auth, reply


def _auth(runtime: Runtime, username: str, password: str) -> str:
    with connect_tls(runtime.settings) as client:
        return reply(*client.docmd("AUTH", "PLAIN " + plain_auth(username, password)))


def _failures(runtime: Runtime) -> int:
    with runtime.db.begin() as session:
        return sum(session.scalars(select(AuthFailure.failures)))


def _stored(runtime: Runtime, username: str) -> str:
    with runtime.db.begin() as session:
        stored = session.scalar(
            select(SmtpCredential.password_hash).where(SmtpCredential.username == username)
        )
    assert stored is not None
    return stored


async def test_a_right_login_commits_nothing(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    # Which transactions wrote, and how each ended.
    wrote: dict[int, bool] = {}
    committed_writes: list[int] = []

    def executed(connection, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            wrote[id(connection)] = True

    def committed(connection) -> None:  # noqa: ANN001
        if wrote.pop(id(connection), False):
            committed_writes.append(1)

    def rolled_back(connection) -> None:  # noqa: ANN001
        wrote.pop(id(connection), None)

    engine = runtime.db.engine
    event.listen(engine, "before_cursor_execute", executed)
    event.listen(engine, "commit", committed)
    event.listen(engine, "rollback", rolled_back)
    try:
        answer = await asyncio.to_thread(_auth, runtime, sender.username, sender.password)
    finally:
        event.remove(engine, "before_cursor_execute", executed)
        event.remove(engine, "commit", committed)
        event.remove(engine, "rollback", rolled_back)
    assert answer == r.S235_AUTH_OK
    # The claims were rolled back, not committed and given back: no write, no fsync.
    assert committed_writes == []
    assert _failures(runtime) == 0


async def test_a_wrong_login_is_counted(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    answer = await asyncio.to_thread(_auth, runtime, sender.username, "wrong")
    assert answer == r.S535_AUTH_FAILED
    # One failure under each of the three keys.
    assert _failures(runtime) == 3


async def test_an_argon2_credential_logs_in_and_is_upgraded(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    with runtime.db.begin() as session:
        row = session.scalar(
            select(SmtpCredential).where(SmtpCredential.username == sender.username)
        )
        assert row is not None
        row.password_hash = hash_password(sender.password)
    wrong = await asyncio.to_thread(_auth, runtime, sender.username, "wrong")
    assert wrong == r.S535_AUTH_FAILED
    assert _stored(runtime, sender.username).startswith("$argon2id$")
    right = await asyncio.to_thread(_auth, runtime, sender.username, sender.password)
    assert right == r.S235_AUTH_OK
    assert _stored(runtime, sender.username).startswith("hmac-sha256$")
    # The wrong attempt stays counted; the right one gave its slots back.
    assert _failures(runtime) == 3

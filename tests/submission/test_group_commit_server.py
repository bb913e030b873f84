"""The server's group commit over real sockets: parallel sessions, one account look-up each."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import event, select

from sealgate.bootstrap import Runtime
from sealgate.store import Submission
from sealgate.submission import SubmissionServer
from sealgate.submission import replies as r
from tests.conftest import Sender
from tests.submission.smtp_client import connect_auth, message, reply


def _submit(runtime: Runtime, sender: Sender, count: int) -> list[str]:
    replies = []
    with connect_auth(runtime.settings, sender) as client:
        for index in range(count):
            raw = message(to="bob@example.org", body=f"message {index}\r\n")
            assert reply(*client.mail(sender.address)) == r.S250_SENDER_OK
            assert reply(*client.rcpt("bob@example.org")) == r.S250_RECIPIENT_OK
            replies.append(reply(*client.data(raw)))
    return replies


async def test_parallel_sessions_each_get_a_250_for_a_committed_row(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    # The clients get threads of their own: the server's work uses the loop's default pool.
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(6) as clients:
        results = await asyncio.gather(
            *(loop.run_in_executor(clients, _submit, runtime, sender, 5) for _ in range(6))
        )
    prefix = r.S250_QUEUED.format(queue_id="")
    queue_ids = [text[len(prefix) :] for replies in results for text in replies]
    assert all(text.startswith(prefix) for replies in results for text in replies)
    with runtime.db.begin() as session:
        rows = {row.id: row for row in session.scalars(select(Submission))}
    assert sorted(rows) == sorted(queue_ids) and len(rows) == 30
    for row in rows.values():
        assert runtime.vault.get_bytes(row.blob_id).startswith(b"From: ")


async def test_the_sender_account_is_looked_up_once_per_message(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    statements: list[str] = []

    def seen(_conn, _cursor, statement, _parameters, _context, _many) -> None:  # noqa: ANN001
        if "FROM accounts" in statement:
            statements.append(statement)

    event.listen(runtime.db.engine, "before_cursor_execute", seen)
    try:
        replies = await asyncio.to_thread(_submit, runtime, sender, 3)
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", seen)
    assert len(replies) == 3
    # MAIL FROM and the From field name the same account: one look-up per message.
    assert len(statements) == 3

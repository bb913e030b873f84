"""Large messages over real sockets: streamed into the vault during DATA, never held whole."""

from __future__ import annotations

import asyncio
import os
import time
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.store import Submission
from sealgate.submission import SubmissionServer
from sealgate.submission import replies as r
from sealgate.submission.spool import SPOOL_THRESHOLD, MessageSpool
from tests.conftest import Sender
from tests.submission.smtp_client import RawSession, connect_auth, message


def _rows(rt: Runtime) -> list[Submission]:
    with rt.db.begin() as session:
        return list(session.scalars(select(Submission)))


def _blob_files(rt: Runtime) -> list[str]:
    """Every file in the blob folder, `.part` files included."""
    root = rt.vault.store.root  # type: ignore[attr-defined]
    return sorted(p.name for p in root.glob("*/*"))


def large_message(size: int) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "alice@hospital.example", "bob@example.org", "Scan"
    mail.set_content("Dear Bob,\n\nthe scan is attached.\n")
    mail.add_attachment(os.urandom(size * 3 // 4), "application", "pdf", filename="scan.pdf")
    return mail.as_bytes().replace(b"\n", b"\r\n")


def _open_data(runtime: Runtime, sender: Sender) -> RawSession:
    session = RawSession(runtime.settings)
    session.starttls()
    session.login(sender)
    assert session.command(f"MAIL FROM:<{sender.address}>") == r.S250_SENDER_OK
    assert session.command("RCPT TO:<bob@example.org>") == r.S250_RECIPIENT_OK
    assert session.command("DATA") == r.S354_START_DATA
    return session


async def test_a_message_larger_than_the_spool_is_stored_byte_identical(
    server: SubmissionServer, runtime: Runtime, sender: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    pieces: list[int] = []
    write = MessageSpool.write

    async def counted(self: MessageSpool, data: bytes) -> None:
        pieces.append(len(data))
        await write(self, data)

    monkeypatch.setattr(MessageSpool, "write", counted)
    raw = large_message(6 * SPOOL_THRESHOLD) + b".starts with a dot\r\n"
    assert len(raw) > 4 * SPOOL_THRESHOLD

    def submit() -> tuple[int, bytes]:
        with connect_auth(runtime.settings, sender) as client:
            client.mail(sender.address)
            client.rcpt("bob@example.org")
            return client.data(raw)

    code, text = await asyncio.to_thread(submit)
    assert code == 250, text
    [row] = _rows(runtime)
    assert row.size == len(raw)
    assert runtime.vault.get_bytes(row.blob_id) == raw
    assert _blob_files(runtime) == [row.blob_id]
    # It went into the vault in pieces as it arrived, none much larger than the spool.
    assert len(pieces) >= 4
    assert max(pieces) < 2 * SPOOL_THRESHOLD


@pytest.mark.submission_env(SEALGATE_SUBMISSION__MAX_MESSAGE_SIZE=3 * SPOOL_THRESHOLD)
async def test_over_the_size_limit_mid_stream_is_552_and_leaves_no_blob(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Past max_message_size, halfway through the blob, the answer is still 552 5.3.4; what
    was streamed is removed and the session takes the next message."""
    raw = large_message(5 * SPOOL_THRESHOLD)

    def submit() -> tuple[str, str]:
        session = _open_data(runtime, sender)
        try:
            session.send_bytes(raw + b".\r\n")
            refused = session.read_reply()
            assert session.command(f"MAIL FROM:<{sender.address}>") == r.S250_SENDER_OK
            assert session.command("RCPT TO:<bob@example.org>") == r.S250_RECIPIENT_OK
            assert session.command("DATA") == r.S354_START_DATA
            session.send_bytes(message() + b".\r\n")
            return refused, session.read_reply()
        finally:
            session.close()

    refused, accepted = await asyncio.to_thread(submit)
    assert refused == r.S552_TOO_BIG
    assert accepted.startswith("250 "), accepted
    [row] = _rows(runtime)
    assert _blob_files(runtime) == [row.blob_id]


async def test_a_client_that_goes_away_mid_stream_leaves_no_blob(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    raw = large_message(4 * SPOOL_THRESHOLD)

    def send_half() -> None:
        session = _open_data(runtime, sender)
        session.send_bytes(raw[: len(raw) // 2])
        time.sleep(0.3)
        session.close()

    await asyncio.to_thread(send_half)
    for _ in range(100):
        if not _blob_files(runtime):
            break
        await asyncio.sleep(0.05)
    assert _blob_files(runtime) == []
    assert _rows(runtime) == []


async def test_a_streamed_message_refused_at_the_end_leaves_no_blob(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """The handler refuses a From that is not the sender's account after the blob is
    complete: the blob goes again, and no row is written."""
    raw = large_message(3 * SPOOL_THRESHOLD).replace(
        b"From: alice@hospital.example", b"From: mallory@hospital.example", 1
    )

    def submit() -> tuple[int, bytes]:
        with connect_auth(runtime.settings, sender) as client:
            client.mail(sender.address)
            client.rcpt("bob@example.org")
            return client.data(raw)

    code, _ = await asyncio.to_thread(submit)
    assert code == 550
    assert _rows(runtime) == []
    assert _blob_files(runtime) == []

"""Secrets of the control headers at rest, and the access-code minimum, over real SMTP."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.directory import set_policy
from sealgate.store import Message, Recipient
from sealgate.store.schema import Base
from sealgate.submission import SubmissionServer
from sealgate.transport import AssumedLevels, UnknownTransport
from sealgate.transport.cache import CachedProbes
from tests.conftest import TEST_DATABASE, Sender
from tests.route.pipeline import process_incoming
from tests.submission.smtp_client import connect_auth, message, reply

BOB, CAROL = "bob@example.org", "carol@example.net"
CODE = "Secret123"
PHONE_DIGITS = "612345678"


def _send(rt: Runtime, sender: Sender, rcpt: str, extra: str) -> str:
    with connect_auth(rt.settings, sender) as client:
        client.mail(sender.address)
        client.rcpt(rcpt)
        return reply(*client.data(message(to=rcpt, extra=extra)))


def _every_value(rt: Runtime) -> list[tuple[str, str, str]]:
    """(table, column, value as text) of every cell of every table."""
    cells = []
    with rt.db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(select(table)).mappings():
                cells += [(table.name, column, str(value)) for column, value in row.items()]
    return cells


def _database_files(rt: Runtime) -> list[Path]:
    path = Path(rt.db.engine.url.database or "")
    return [file for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if file.exists()]


async def test_access_codes_and_phones_from_headers_are_not_stored_in_the_clear(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 2: messages.control_headers kept the raw zivver-access-right values.

    After one submission with an access code and one with an SMS phone, the code is in no
    cell of any table and in no byte of the SQLite file or its WAL. The phone is only where
    the portal needs it to send the code (recipients.phone of the recipient it verifies);
    the stored control headers keep recipient and method, the values sealed.
    """
    code_header = f"zivver-access-right: {BOB} access-code {CODE}\r\n"
    phone_header = f"zivver-access-right: {CAROL} sms +31 6 {PHONE_DIGITS[1:]}\r\n"
    for rcpt, extra in ((BOB, code_header), (CAROL, phone_header)):
        answer = await asyncio.to_thread(_send, runtime, sender, rcpt, extra)
        assert answer.startswith("250 2.0.0"), answer
    probes = CachedProbes(AssumedLevels({}, UnknownTransport()), runtime.db)
    assert await asyncio.to_thread(process_incoming, runtime, probes) == 2

    cells = _every_value(runtime)
    assert not [cell for cell in cells if CODE in cell[2]]
    assert [cell[:2] for cell in cells if PHONE_DIGITS in cell[2]] == [("recipients", "phone")]
    with runtime.db.begin() as session:
        stored = [m.control_headers for m in session.scalars(select(Message))]
        methods = {r.address: r.method for r in session.scalars(select(Recipient))}
    assert methods == {BOB: "access_right_access_code", CAROL: "access_right_sms"}
    rights = sorted(
        (entry for data in stored for entry in data["zivver-access-right"]),
        key=lambda entry: entry["recipient"],
    )
    assert rights == [
        {"recipient": BOB, "method": "access_code"},
        {"recipient": CAROL, "method": "sms"},
    ]
    if TEST_DATABASE == "sqlite":
        files = _database_files(runtime)
        assert any(file.name.endswith("-wal") for file in files)
        for file in files:
            assert CODE.encode() not in file.read_bytes(), file.name
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name


async def test_data_folder_blobs_and_key_are_private(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 2: the data folder and the blob folder are 0700, master.key 0600."""
    answer = await asyncio.to_thread(_send, runtime, sender, BOB, "")
    assert answer.startswith("250 2.0.0"), answer
    data_dir = Path(runtime.settings.storage.data_dir)
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "blobs").stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "master.key").stat().st_mode) == 0o600


async def test_access_code_shorter_than_the_org_minimum_is_refused(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 8: `sharedAccessCode 1` was accepted; a code below the organisation's
    minimum length (default 6) gets 550 5.6.0 naming the header, never the code."""
    answers = {}
    for code in ("1", "12345", "123456"):
        extra = f"zivver-access-right: {BOB} sharedAccessCode {code}\r\n"
        answers[code] = await asyncio.to_thread(_send, runtime, sender, BOB, extra)
    assert answers["123456"].startswith("250 2.0.0"), answers
    for code in ("1", "12345"):
        assert answers[code] == (
            f"550 5.6.0 The zivver-access-right header for {BOB} has an access code shorter "
            "than the organisation's minimum of 6 characters."
        )
    with runtime.db.begin() as session:
        set_policy(session, sender.org, access_code_min_length=8)
    extra = f"zivver-access-right: {BOB} access-code 1234567\r\n"
    raised = await asyncio.to_thread(_send, runtime, sender, BOB, extra)
    assert raised.startswith("550 5.6.0 ") and "minimum of 8 characters" in raised

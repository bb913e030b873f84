"""DATA over real sockets: long lines kept whole, header limits, bare LF before the final dot."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.store import Submission
from sealgate.submission import SubmissionServer
from sealgate.submission import replies as r
from tests.conftest import Sender
from tests.submission.smtp_client import (
    RawSession,
    client_context,
    connect_auth,
    connect_tls,
    message,
    reply,
)


def _rows(rt: Runtime) -> list[Submission]:
    with rt.db.begin() as session:
        return list(session.scalars(select(Submission)))


def _open_data(runtime: Runtime, sender: Sender) -> RawSession:
    session = RawSession(runtime.settings)
    session.starttls()
    session.login(sender)
    assert session.command(f"MAIL FROM:<{sender.address}>") == r.S250_SENDER_OK
    assert session.command("RCPT TO:<bob@example.org>") == r.S250_RECIPIENT_OK
    assert session.command("DATA") == r.S354_START_DATA
    return session


async def test_a_100_kb_html_line_is_accepted_and_stored_byte_identical(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 15: an unwrapped 100 KB HTML line gets 250 and is committed unchanged."""
    html = "<html><body>" + "".join(f"<p>paragraph {n}</p>" for n in range(6000)) + "</body></html>"
    assert len(html) > 100_000
    raw = message(
        body=html + "\r\n.a line that starts with a dot\r\n",
        extra="Content-Type: text/html; charset=utf-8\r\n",
    )
    stuffed = raw.replace(b"\r\n.", b"\r\n..")

    def submit() -> str:
        session = _open_data(runtime, sender)
        try:
            session.send_bytes(stuffed + b".\r\n")
            return session.read_reply()
        finally:
            session.close()

    answer = await asyncio.to_thread(submit)
    assert answer.startswith("250 2.0.0 Ok: queued as "), answer
    [row] = _rows(runtime)
    assert runtime.vault.get_bytes(row.blob_id) == raw


@pytest.mark.submission_env(SEALGATE_SUBMISSION__MAX_LINE_LENGTH=2000)
async def test_a_line_over_max_line_length_is_refused_and_the_session_goes_on(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 15: past [submission] max_line_length the message gets 552 5.3.4."""

    def submit() -> tuple[str, str]:
        with connect_auth(runtime.settings, sender) as client:
            client.mail(sender.address)
            client.rcpt("bob@example.org")
            refused = reply(*client.data(message(body="x" * 2001 + "\r\n")))
            client.mail(sender.address)
            client.rcpt("bob@example.org")
            return refused, reply(*client.data(message(body="y" * 2000 + "\r\n")))

    refused, accepted = await asyncio.to_thread(submit)
    assert refused == r.S552_LINE_TOO_LONG
    assert accepted.startswith("250 ")
    assert len(_rows(runtime)) == 1


async def test_a_huge_header_block_is_refused_without_stalling_other_sessions(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 4: 4 million header lines (24 MB) get 552 5.3.4; NOOPs meanwhile stay fast."""
    block = b"A: b\r\n" * (4 * 1024 * 1024)
    done = threading.Event()

    def flood() -> str:
        session = _open_data(runtime, sender)
        try:
            session.send_bytes(b"From: Alice <alice@hospital.example>\r\n")
            for start in range(0, len(block), 1 << 20):
                session.send_bytes(block[start : start + (1 << 20)])
            session.send_bytes(b"\r\nbody\r\n.\r\n")
            return session.read_reply()
        finally:
            done.set()
            session.close()

    def noops() -> list[float]:
        latencies = []
        with connect_tls(runtime.settings) as client:
            while not done.is_set():
                started = time.monotonic()
                assert reply(*client.noop()) == r.S250_OK
                latencies.append(time.monotonic() - started)
                time.sleep(0.05)
        return latencies

    flooded, latencies = await asyncio.gather(asyncio.to_thread(flood), asyncio.to_thread(noops))
    assert flooded == r.S552_HEADER_SECTION_TOO_BIG
    assert len(latencies) >= 3 and max(latencies) < 2.0, latencies
    assert _rows(runtime) == []


@pytest.mark.submission_env(SEALGATE_SUBMISSION__MAX_HEADER_FIELD=1000)
async def test_a_header_field_over_the_limit_is_refused(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 4: one header field with its folded lines is bounded (header_size_limit)."""
    folded = "X-Folded: start\r\n" + " continued line of forty bytes or so...\r\n" * 30

    def submit() -> str:
        with connect_auth(runtime.settings, sender) as client:
            client.mail(sender.address)
            client.rcpt("bob@example.org")
            return reply(*client.data(message(extra=folded)))

    assert await asyncio.to_thread(submit) == r.S552_HEADER_FIELD_TOO_BIG
    assert _rows(runtime) == []


@pytest.mark.parametrize(
    "ending",
    [b"last line\n.\r\n", b"last line\r\n\n.\r\n", b"last line\r.\r\n"],
    ids=["lf-dot", "crlf-lf-dot", "cr-dot"],
)
async def test_bare_lf_before_the_final_dot_is_refused_at_once(
    server: SubmissionServer, runtime: Runtime, sender: Sender, ending: bytes
) -> None:
    """Issue 8 item 16: data ending in <LF>.<CR><LF> gets the bare-LF refusal at once, not
    an idle timeout; the connection closes, so nothing sent after it becomes a command."""

    def submit() -> tuple[bool, str, bool]:
        session = _open_data(runtime, sender)
        try:
            session.send_bytes(message().replace(b"Hello Bob.\r\n", ending))
            answered = session.readable_within(5.0)
            refused = session.read_reply() if answered else ""
            session.send_bytes(b"MAIL FROM:<x@y.example>\r\n")
            return answered, refused, session.at_eof()
        finally:
            session.close()

    assert await asyncio.to_thread(submit) == (True, r.S550_BARE_NEWLINE, True)
    assert _rows(runtime) == []


async def test_smuggled_end_of_data_with_a_command_behind_it(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 16: <LF>.<CR><LF> followed by a smuggled MAIL FROM: refused, closed, and
    the smuggled command is never run."""

    def submit() -> tuple[str, bool]:
        session = _open_data(runtime, sender)
        try:
            smuggled = (
                b"x\r\n\n.\r\nMAIL FROM:<alice@hospital.example>\r\nRCPT TO:<e@x.example>\r\n"
            )
            session.send_bytes(message().replace(b"Hello Bob.\r\n", smuggled) + b".\r\n")
            return session.read_reply(), session.at_eof()
        finally:
            session.close()

    assert await asyncio.to_thread(submit) == (r.S550_BARE_NEWLINE, True)
    assert _rows(runtime) == []


async def test_a_second_starttls_inside_tls_gets_503(
    server: SubmissionServer, runtime: Runtime
) -> None:
    """Issue 8 item 9: STARTTLS inside TLS is 503 5.5.1 (was 220 and a traceback)."""

    def twice() -> tuple[str, str]:
        session = RawSession(runtime.settings)
        try:
            session.starttls()
            return session.command("STARTTLS"), session.command("NOOP")
        finally:
            session.close()

    assert await asyncio.to_thread(twice) == (r.S503_TLS_ACTIVE, r.S250_OK)


async def test_plaintext_pipelined_after_starttls_is_dropped(
    server: SubmissionServer, runtime: Runtime
) -> None:
    """A command sent in plaintext after STARTTLS never runs inside TLS (CVE-2011-0411 kind)."""

    def inject() -> tuple[str, str, str]:
        session = RawSession(runtime.settings)
        try:
            assert session.command("EHLO client.example").startswith("250 ")
            session.send_bytes(b"STARTTLS\r\nRSET\r\n")
            ready = session.read_reply()
            assert session.buffer == b""
            context = client_context(runtime.settings)
            session.sock = context.wrap_socket(session.sock, server_hostname="localhost")
            session.send_bytes(b"EHLO client.example\r\n")
            first = session.read_line().decode()
            session.read_reply()
            return ready, first, session.command("NOOP")
        finally:
            session.close()

    ready, first, noop = await asyncio.to_thread(inject)
    assert ready == r.S220_READY_FOR_TLS
    # The EHLO's reply comes first: no 250 for an RSET that arrived before the handshake.
    assert first.startswith("250-"), first
    assert noop == r.S250_OK

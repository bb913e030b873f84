"""Connection limits and slow clients: anvil-like counts, command and DATA deadlines."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sealgate.bootstrap import Runtime
from sealgate.config import split_hostport
from sealgate.submission import SubmissionServer
from sealgate.submission import replies as r
from sealgate.submission.connections import (
    RATE_WINDOW_SECONDS,
    ClientConnections,
    ConnectionLimits,
    ConnectionRefusal,
)
from tests.conftest import Sender, free_port
from tests.submission.smtp_client import RawSession, connect_auth, message, reply


def test_open_and_recent_connections_are_counted_per_client() -> None:
    gate = ClientConnections(ConnectionLimits(max_total=4, per_client=2, rate_per_minute=3))
    assert gate.admit("192.0.2.1", 0.0) is None
    assert gate.admit("192.0.2.1", 1.0) is None
    assert gate.admit("192.0.2.1", 2.0) is ConnectionRefusal.PER_CLIENT
    gate.release("192.0.2.1")
    assert gate.admit("192.0.2.1", 3.0) is None
    gate.release("192.0.2.1")
    # Three admitted in the last minute: the rate refuses until the first leaves the window.
    assert gate.admit("192.0.2.1", 4.0) is ConnectionRefusal.RATE
    assert gate.admit("192.0.2.1", RATE_WINDOW_SECONDS + 0.5) is None
    assert gate.admit("192.0.2.2", 5.0) is None
    assert gate.admit("192.0.2.3", 5.0) is None
    assert gate.total == 4
    assert gate.admit("192.0.2.4", 5.0) is ConnectionRefusal.TOTAL
    for client in ("192.0.2.1", "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.9"):
        gate.release(client)
    assert gate.total == 0 and gate.open_for("192.0.2.1") == 0


def test_zero_means_no_per_client_limit() -> None:
    gate = ClientConnections(ConnectionLimits(max_total=100, per_client=0, rate_per_minute=0))
    assert all(gate.admit("192.0.2.1", float(n)) is None for n in range(100))
    assert gate.admit("192.0.2.1", 100.0) is ConnectionRefusal.TOTAL


def _greeting(settings_listen: str, source: str = "127.0.0.1") -> tuple[socket.socket, str]:
    sock = socket.create_connection(split_hostport(settings_listen), 10, (source, 0))
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return sock, data.decode().strip()


@pytest.mark.submission_env(
    SEALGATE_SUBMISSION__MAX_CONNECTIONS=5, SEALGATE_SUBMISSION__MAX_CONNECTIONS_PER_CLIENT=3
)
async def test_connections_beyond_the_limits_hear_421_and_are_closed(
    server: SubmissionServer, runtime: Runtime
) -> None:
    """Issue 8 item 5: a per-client and a total connection limit; excess gets 421 4.7.0."""
    listen = runtime.settings.submission.listen

    def flood() -> tuple[list[str], str, bool, list[str], str]:
        held = [_greeting(listen) for _ in range(3)]
        extra, refused = _greeting(listen)
        closed = extra.recv(1) == b""
        extra.close()
        # Other addresses still get in, up to the total.
        others = [_greeting(listen, f"127.0.0.{n}") for n in (2, 3, 4)]
        held[0][0].close()
        # Once one closes, its client may connect again (the server sees the close soon).
        again = ""
        for _ in range(50):
            sock, again = _greeting(listen, "127.0.0.5")
            sock.close()
            if again.startswith("220"):
                break
            time.sleep(0.1)
        answers = [greeting for _, greeting in held] + [greeting for _, greeting in others]
        for sock, _ in held[1:] + others:
            sock.close()
        return answers, refused, closed, [others[2][1]], again

    answers, refused, closed, last, again = await asyncio.to_thread(flood)
    assert all(answer.startswith("220 ") for answer in answers[:5]), answers
    assert refused == r.S421_CLIENT_CONNECTIONS and closed
    assert last == [r.S421_TOO_MANY_CONNECTIONS]
    assert again.startswith("220 ")


@pytest.mark.submission_env(SEALGATE_SUBMISSION__MAX_CONNECTION_RATE=3)
async def test_connection_rate_per_client(server: SubmissionServer, runtime: Runtime) -> None:
    """Issue 8 item 5: at most max_connection_rate new connections per client per minute."""

    def connect_four() -> list[str]:
        answers = []
        for _ in range(4):
            sock, greeting = _greeting(runtime.settings.submission.listen)
            sock.close()
            answers.append(greeting)
        return answers

    answers = await asyncio.to_thread(connect_four)
    assert [answer[:4] for answer in answers[:3]] == ["220 "] * 3
    assert answers[3] == r.S421_CLIENT_CONNECTION_RATE


@pytest.mark.submission_env(SEALGATE_SUBMISSION__COMMAND_TIMEOUT=1)
async def test_a_command_line_trickled_byte_by_byte_is_cut_off(
    server: SubmissionServer, runtime: Runtime
) -> None:
    """Issue 8 item 5: one byte now and then cannot keep a command line (and the session)
    open; the idle timer alone would restart on every byte."""

    def trickle() -> tuple[str, float, bool]:
        session = RawSession(runtime.settings)
        started = time.monotonic()
        try:
            for byte in b"NOOP NOOP NOOP NOOP NOOP NOOP":
                session.send_bytes(bytes([byte]))
                if session.readable_within(0.3):
                    break
            return session.read_reply(), time.monotonic() - started, session.at_eof()
        finally:
            session.close()

    answer, elapsed, closed = await asyncio.to_thread(trickle)
    assert answer == r.S421_COMMAND_TIMEOUT and closed
    assert elapsed < 6


@pytest.mark.submission_env(
    SEALGATE_SUBMISSION__COMMAND_TIMEOUT=1, SEALGATE_SUBMISSION__MIN_DATA_RATE=1000
)
async def test_data_must_keep_up_the_minimum_rate(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 5: after a grace of command_timeout, DATA must average min_data_rate."""

    def slow_data() -> tuple[str, float, bool]:
        session = RawSession(runtime.settings)
        try:
            session.starttls()
            session.login(sender)
            session.command(f"MAIL FROM:<{sender.address}>")
            session.command("RCPT TO:<bob@example.org>")
            assert session.command("DATA") == r.S354_START_DATA
            started = time.monotonic()
            for byte in message() * 20:
                session.send_bytes(bytes([byte]))
                if session.readable_within(0.2):
                    break
            return session.read_reply(), time.monotonic() - started, session.at_eof()
        finally:
            session.close()

    def fast_data() -> str:
        # The same limits let an ordinary message through.
        with connect_auth(runtime.settings, sender) as client:
            client.mail(sender.address)
            client.rcpt("bob@example.org")
            return reply(*client.data(message(body="line\r\n" * 20000)))

    answer, elapsed, closed = await asyncio.to_thread(slow_data)
    assert answer == r.S421_DATA_TOO_SLOW and closed
    assert elapsed < 8
    assert (await asyncio.to_thread(fast_data)).startswith("250 ")


SERVE = """
import asyncio, logging, os, resource, sys
from sealgate.bootstrap import open_runtime
from sealgate.config import load
from sealgate.submission import SubmissionServer

logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
limit = int(os.environ["TEST_NOFILE"])
resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

async def main():
    rt = open_runtime(load(None, os.environ))
    server = SubmissionServer(rt)
    await server.start()
    print("ready", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def test_running_out_of_file_handles_does_not_stop_the_server(
    runtime: Runtime, tmp_path: Path
) -> None:
    """Issue 8 item 5: with file handles used up, accepting fails for a while (logged), and
    the server serves again once connections close."""
    settings = runtime.settings
    listen = f"127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "TEST_NOFILE": "48",
        "SEALGATE_STORAGE__DATA_DIR": str(settings.data_dir),
        "SEALGATE_STORAGE__DATABASE_URL": settings.database_url,
        "SEALGATE_STORAGE__MASTER_KEY": settings.storage.master_key.get_secret_value(),
        "SEALGATE_SUBMISSION__LISTEN": listen,
        "SEALGATE_SUBMISSION__TLS_CERT": settings.submission.tls_cert,
        "SEALGATE_SUBMISSION__TLS_KEY": settings.submission.tls_key,
    }
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE], env=env, stdout=subprocess.PIPE, stderr=log, text=True
    )
    try:
        assert process.stdout is not None
        assert await asyncio.to_thread(process.stdout.readline) == "ready\n"

        def exhaust_then_recover() -> tuple[int, int, str]:
            held = []
            for _ in range(80):
                held.append(socket.create_connection(split_hostport(listen), 10))
            # The kernel completes the handshakes; the server greets those it could accept.
            time.sleep(1.5)
            greeted = 0
            for sock in held:
                sock.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    greeted += sock.recv(4096).startswith(b"220")
            for sock in held:
                sock.close()
            answer = ""
            submission = settings.submission.model_copy(update={"listen": listen})
            for _ in range(50):
                try:
                    session = RawSession(settings.model_copy(update={"submission": submission}))
                except (TimeoutError, OSError):
                    time.sleep(0.2)
                    continue
                try:
                    session.starttls()
                    answer = session.command("NOOP")
                finally:
                    session.close()
                break
            return greeted, len(held), answer

        greeted, attempted, answer = await asyncio.to_thread(exhaust_then_recover)
        assert process.poll() is None
        assert greeted < attempted
        assert answer == r.S250_OK
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
    assert "out of system resource" in (tmp_path / "serve.log").read_text()

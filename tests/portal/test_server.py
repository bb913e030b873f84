"""The portal's HTTP server under slow and numerous clients: `sealgate serve --role web`.

Issue 8 item 5 (portal part). uvicorn alone let a client hold a connection for ever by
sending its request head one byte a second (or nothing at all), and had no cap on open
connections, so enough of them used up the process's file handles. Now a request must
arrive whole within `[web] request_timeout` (408, closed), past `max_connections` a request
gets 503, and when accept() fails with EMFILE the server keeps running and recovers once
the stalled connections are cut. Each test runs the real command in its own process (for
its own file-handle limit), on loopback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from sealgate.bootstrap import Runtime
from sealgate.config import split_hostport


@contextmanager
def portal_process(rt: Runtime, tmp_path: Path, nofile: int = 0, **web: str) -> Iterator[str]:
    """`sealgate serve --role web` for `rt`'s data, `[web]` overrides in `web`; its base URL."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SEALGATE_STORAGE__DATA_DIR": rt.settings.storage.data_dir,
        "SEALGATE_STORAGE__DATABASE_URL": rt.settings.database_url,
        "SEALGATE_WEB__LISTEN": rt.settings.web.listen,
        "SEALGATE_WEB__BASE_URL": rt.settings.web.base_url,
    }
    env.update({f"SEALGATE_WEB__{key.upper()}": value for key, value in web.items()})
    command = [sys.executable, "-m", "sealgate", "serve", "--role", "web"]
    if nofile:
        command = ["prlimit", f"--nofile={nofile}:{nofile}", *command]
    log = (tmp_path / "portal.log").open("w")
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_listening(process, rt.settings.web.listen)
        yield rt.settings.web.base_url
        assert process.poll() is None, (tmp_path / "portal.log").read_text()
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _wait_until_listening(process: subprocess.Popen, listen: str) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the portal exited"
        try:
            socket.create_connection(split_hostport(listen), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the portal did not start listening")


def connect(listen: str) -> socket.socket:
    return socket.create_connection(split_hostport(listen), timeout=60)


def read_until_closed(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


def test_a_slow_request_head_is_cut_off_while_others_are_served(runtime: Runtime, tmp_path):
    """Issue 8 item 5: one byte a second of request head is cut off after request_timeout."""
    with portal_process(runtime, tmp_path, request_timeout="2") as url:
        slow = connect(runtime.settings.web.listen)
        head = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: " + b"s" * 60 + b"\r\n\r\n"
        started = time.monotonic()
        sent = 0
        answer = b""
        slow.settimeout(1.0)
        while sent < len(head):
            try:
                slow.sendall(head[sent : sent + 1])
            except OSError:
                break  # closed by the server
            sent += 1
            try:
                answer = slow.recv(4096)
                break  # an answer (the 408), or the close
            except TimeoutError:
                pass
            if sent == 3:
                # Meanwhile another client is served at once.
                assert httpx.get(f"{url}/", timeout=10).status_code == 200
        elapsed = time.monotonic() - started
        slow.close()
        assert sent < len(head), "the slow client sent its whole head and was never cut off"
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert elapsed < 30


def test_a_connection_that_sends_nothing_is_closed(runtime: Runtime, tmp_path):
    with portal_process(runtime, tmp_path, request_timeout="1") as _url:
        idle = connect(runtime.settings.web.listen)
        assert read_until_closed(idle).startswith(b"HTTP/1.1 408 ")
        idle.close()


def test_past_max_connections_requests_get_503(runtime: Runtime, tmp_path):
    """Issue 8 item 5: past [web] max_connections a request is answered 503, not queued."""
    with portal_process(runtime, tmp_path, max_connections="5") as url, ExitStack() as held:
        for _ in range(5):
            held.enter_context(connect(runtime.settings.web.listen))
        time.sleep(0.5)  # let the server accept them
        assert httpx.get(f"{url}/", timeout=10).status_code == 503
        held.close()
        deadline = time.monotonic() + 20
        while httpx.get(f"{url}/", timeout=10).status_code == 503:
            assert time.monotonic() < deadline, "still 503 after the connections closed"
            time.sleep(0.2)


def test_running_out_of_file_handles_does_not_take_the_portal_down(runtime: Runtime, tmp_path):
    """Issue 8 item 5: with accept() failing on EMFILE the portal lives on and recovers."""
    with (
        portal_process(runtime, tmp_path, nofile=64, request_timeout="2") as url,
        ExitStack() as held,
    ):
        # Far more idle connections than the process has file handles.
        for _ in range(120):
            held.enter_context(connect(runtime.settings.web.listen))
        time.sleep(1)
        # The idle ones are cut after request_timeout, so a real request gets through,
        # while the 120 are still open on our side.
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/", timeout=10).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the portal never answered again"
            time.sleep(0.5)
    assert "out of system resource" in (tmp_path / "portal.log").read_text()

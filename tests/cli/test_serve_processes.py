"""`sealgate serve` with [submission] processes = 2: listeners on one port, supervised.

Real processes, real STARTTLS + AUTH: many sessions reach both listeners (each logs its own
pid), every 250 is a committed row (on SQLite too: several writer processes must not meet
"database is locked"), a killed listener is restarted, SIGTERM stops every listener, and a
killed supervisor takes its listeners with it.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import ssl
import subprocess
import time
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import aiosmtplib
import pytest
from sqlalchemy import select

from sealgate.bootstrap import open_runtime
from sealgate.config import load
from sealgate.directory import CREDENTIAL_KEY_PURPOSE, add_account, create_credential, create_org
from sealgate.store import Submission
from sealgate.submission import replies
from tests.conftest import free_port
from tests.lab.serve_process import refused_serve, start_serve

SENDER = "alice@hospital.example"
QUEUED = replies.S250_QUEUED.format(queue_id="").removeprefix("250 ")
SESSIONS, MESSAGES = 24, 4


def _config(folder: Path, database_url: str, tls_files: tuple[Path, Path]) -> Path:
    config = folder / "sealgate.toml"
    config.write_text(
        f'[submission]\nlisten = "127.0.0.1:{free_port()}"\ntls_cert = "{tls_files[0]}"\n'
        f'tls_key = "{tls_files[1]}"\nmax_connections_per_client = 200\n'
        f"max_connection_rate = 10000\nprocesses = 2\n"
        f'[web]\nlisten = "127.0.0.1:{free_port()}"\n'
        f'[storage]\ndata_dir = "{folder / "data"}"\ndatabase_url = "{database_url}"\n'
    )
    rt = open_runtime(load(config, {}), create=True)
    try:
        with rt.db.begin() as session:
            create_org(session, "Hospital", ["hospital.example"])
            add_account(session, SENDER, "Hospital")
    finally:
        rt.close()
    return config


def _credential(config: Path) -> tuple[str, str]:
    rt = open_runtime(load(config, {}))
    try:
        with rt.db.begin() as session:
            credential, password = create_credential(
                session, "Hospital", "procs", key=rt.subkey(CREDENTIAL_KEY_PURPOSE)
            )
    finally:
        rt.close()
    return credential.username, password


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting for its reaper counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _children(parent: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[1]) == parent and fields[0] != "Z":
                found.add(int(entry))
    return found


def _wait_for(check, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def _raw(session: int, index: int) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = SENDER, "bob@example.org", f"{session}-{index}"
    mail.set_content(f"processes test {session}-{index}\n" + "x" * 2000 + "\n")
    return mail.as_bytes(policy=SMTP)


async def _session(port: int, user: str, password: str, number: int) -> list[str]:
    """One STARTTLS + AUTH session that sends MESSAGES; the queue id of each 250."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    queued = []
    async with aiosmtplib.SMTP(
        hostname="127.0.0.1", port=port, start_tls=True, tls_context=context, timeout=60
    ) as smtp:
        await smtp.login(user, password)
        for index in range(MESSAGES):
            _, response = await smtp.sendmail(SENDER, ["bob@example.org"], _raw(number, index))
            assert response.startswith(QUEUED), response
            queued.append(response.removeprefix(QUEUED).strip())
    return queued


async def _load(port: int, user: str, password: str, sessions: int) -> list[str]:
    runs = [_session(port, user, password, n) for n in range(sessions)]
    return [queue_id for run in await asyncio.gather(*runs) for queue_id in run]


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


async def test_two_listeners_share_the_port_and_commit_every_250(
    tmp_path: Path, database_url: str, tls_files: tuple[Path, Path]
) -> None:
    config = _config(tmp_path, database_url, tls_files)
    user, password = _credential(config)
    port = int(load(config, {}).submission.listen.rpartition(":")[2])
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = start_serve(config, "smtp", stderr=log)
        try:
            listeners = _children(process.pid)
            assert len(listeners) == 2
            queued = await asyncio.wait_for(_load(port, user, password, SESSIONS), 120)

            # A killed listener is replaced; the port keeps taking mail meanwhile.
            victim = min(listeners)
            os.kill(victim, signal.SIGKILL)
            assert _wait_for(lambda: len(_children(process.pid) - {victim}) == 2)
            replaced = _children(process.pid)
            assert victim not in replaced and len(replaced) == 2
            queued += await asyncio.wait_for(_load(port, user, password, 4), 60)

            # SIGTERM drains and stops every listener, and the supervisor exits cleanly.
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0
            assert _wait_for(lambda: not any(_alive(pid) for pid in replaced), 10)
        finally:
            _stop(process)
    text = log_path.read_text()
    served = {int(pid) for pid in re.findall(r"sealgate\.submission\[(\d+)\] auth ok", text)}
    assert listeners <= served, f"listeners {listeners}, sessions seen by {served}"
    assert "database is locked" not in text
    assert "Traceback" not in text and "RuntimeWarning" not in text
    assert "batched commit" not in text
    rt = open_runtime(load(config, {}))
    try:
        with rt.db.begin() as session:
            committed = set(session.scalars(select(Submission.id)))
    finally:
        rt.close()
    assert len(queued) == (SESSIONS + 4) * MESSAGES
    assert set(queued) <= committed


@pytest.mark.parametrize("processes", [1, 2])
async def test_intake_wakes_at_the_commit_of_any_listener(
    tmp_path: Path, database_url: str, tls_files: tuple[Path, Path], processes: int
) -> None:
    """All roles, and a poll interval far beyond the test: only a wake-up moves the row."""
    config = _config(tmp_path, database_url, tls_files)
    text = config.read_text().replace("processes = 2", f"processes = {processes}")
    config.write_text(text + "[delivery]\npoll_interval = 60\n")
    user, password = _credential(config)
    port = int(load(config, {}).submission.listen.rpartition(":")[2])
    with (tmp_path / "serve.log").open("w") as log:
        process = start_serve(config, stderr=log)
        try:
            # The first passes of the runners are behind us once they wait for their poll.
            await asyncio.sleep(1)
            queued = await asyncio.wait_for(_load(port, user, password, 2), 60)
            rt = open_runtime(load(config, {}))
            try:

                def waiting() -> int:
                    with rt.db.begin() as session:
                        rows = session.scalars(
                            select(Submission.state).where(Submission.id.in_(queued))
                        )
                        return sum(state == "incoming" for state in rows)

                assert _wait_for(lambda: waiting() == 0, 15)
            finally:
                rt.close()
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0
        finally:
            _stop(process)


def test_listeners_die_with_a_killed_supervisor(
    tmp_path: Path, database_url: str, tls_files: tuple[Path, Path]
) -> None:
    config = _config(tmp_path, database_url, tls_files)
    with (tmp_path / "serve.log").open("w") as log:
        process = start_serve(config, "smtp", stderr=log)
        try:
            listeners = _children(process.pid)
            assert len(listeners) == 2
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            assert _wait_for(lambda: not any(_alive(pid) for pid in listeners), 20)
        finally:
            _stop(process)


def test_a_busy_port_fails_the_start(
    tmp_path: Path, database_url: str, tls_files: tuple[Path, Path]
) -> None:
    config = _config(tmp_path, database_url, tls_files)
    host, _, port = load(config, {}).submission.listen.rpartition(":")
    with socket.create_server((host, int(port))):
        result = refused_serve(config, "smtp")
    assert result.returncode != 0
    assert "cannot start" in result.stderr


def test_a_listener_that_cannot_start_fails_the_start(
    tmp_path: Path, database_url: str, tls_files: tuple[Path, Path]
) -> None:
    config = _config(tmp_path, database_url, (tmp_path / "missing.pem", tls_files[1]))
    result = refused_serve(config, "smtp")
    assert result.returncode != 0
    assert "cannot load the TLS certificate" in result.stderr
    assert "cannot start: a submission listener did not start" in result.stderr

"""Crash safety of the group commit: SIGKILL the server mid-burst, nothing acknowledged is lost.

The server runs as `sealgate serve --role smtp` in a subprocess. Sixteen sessions send as
fast as they can; after a number of 250s the process is killed with SIGKILL, so sessions are
waiting in every step (blob writes, the linger, a batch's transaction). After a restart,
every queue id that got a 250 must be a committed row whose blob decrypts to what was sent;
rows the clients never heard about (committed, then killed before the 250 went out) are
allowed: the client retries, as with any MTA.
"""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
import subprocess
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
from tests.lab.serve_process import start_serve

SENDER = "alice@hospital.example"
SESSIONS = 16
QUEUED = replies.S250_QUEUED.format(queue_id="").removeprefix("250 ")


def _config(folder: Path, database_url: str, tls_files: tuple[Path, Path]) -> Path:
    config = folder / "sealgate.toml"
    config.write_text(
        f'[submission]\nlisten = "127.0.0.1:{free_port()}"\ntls_cert = "{tls_files[0]}"\n'
        f'tls_key = "{tls_files[1]}"\nmax_connections_per_client = 64\n'
        f"max_connection_rate = 10000\n"
        f'[web]\nlisten = "127.0.0.1:{free_port()}"\n'
        f'[storage]\ndata_dir = "{folder / "data"}"\ndatabase_url = "{database_url}"\n'
    )
    return config


def _prepare(config: Path) -> tuple[str, str]:
    rt = open_runtime(load(config, {}), create=True)
    try:
        with rt.db.begin() as session:
            create_org(session, "Hospital", ["hospital.example"])
            add_account(session, SENDER, "Hospital")
            credential, password = create_credential(
                session, "Hospital", "crash", key=rt.subkey(CREDENTIAL_KEY_PURPOSE)
            )
    finally:
        rt.close()
    return credential.username, password


def _raw(session: int, index: int) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = SENDER, "bob@example.org", f"{session}-{index}"
    mail.set_content(f"crash test {session}-{index}\n" + "x" * 4000 + "\n")
    return mail.as_bytes(policy=SMTP)


async def _session(
    port: int, user: str, password: str, number: int, acked: dict[str, bytes]
) -> None:
    """Send until the server goes away; record the queue id of every 250 with its bytes."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        async with aiosmtplib.SMTP(
            hostname="127.0.0.1", port=port, start_tls=True, tls_context=context, timeout=30
        ) as smtp:
            await smtp.login(user, password)
            for index in range(10_000):
                raw = _raw(number, index)
                _, response = await smtp.sendmail(SENDER, ["bob@example.org"], raw)
                assert response.startswith(QUEUED), response
                acked[response.removeprefix(QUEUED).strip()] = raw
    except (TimeoutError, aiosmtplib.SMTPException, OSError):
        return


async def _burst_and_kill(
    process: subprocess.Popen[str], port: int, user: str, password: str, kill_after: int
) -> dict[str, bytes]:
    acked: dict[str, bytes] = {}
    sessions = [
        asyncio.create_task(_session(port, user, password, n, acked)) for n in range(SESSIONS)
    ]
    while len(acked) < kill_after:
        if all(task.done() for task in sessions):
            raise AssertionError(f"sessions ended after {len(acked)} messages, before the kill")
        await asyncio.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    await asyncio.wait_for(asyncio.gather(*sessions), 60)
    return acked


@pytest.mark.parametrize("kill_after", [40, 150])
async def test_sigkill_during_batched_commits_loses_nothing_acknowledged(
    tmp_path: Path, database_url: str, tls_files: tuple[Path, Path], kill_after: int
) -> None:
    config = _config(tmp_path, database_url, tls_files)
    user, password = _prepare(config)
    port = int(load(config, {}).submission.listen.rpartition(":")[2])
    process = start_serve(config, "smtp")
    try:
        acked = await _burst_and_kill(process, port, user, password, kill_after)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # The restart: what a new process finds in the database and the vault.
    rt = open_runtime(load(config, {}))
    try:
        with rt.db.begin() as session:
            committed = {row.id: row.blob_id for row in session.scalars(select(Submission))}
        lost = set(acked) - set(committed)
        print(f"acked={len(acked)} committed={len(committed)} lost={len(lost)}")
        assert len(acked) >= kill_after
        assert not lost, f"{len(lost)} acknowledged messages are not in the database"
        for queue_id, raw in acked.items():
            assert rt.vault.get_bytes(committed[queue_id]) == raw
        # Rows nobody heard about are allowed, but their blobs must be whole too.
        for queue_id in set(committed) - set(acked):
            assert rt.vault.get_bytes(committed[queue_id]).startswith(b"From: ")
    finally:
        rt.close()
    # And the restarted server takes mail again.
    process = start_serve(config, "smtp")
    try:
        acked_again: dict[str, bytes] = {}
        await asyncio.wait_for(_one_message(port, user, password, acked_again), 30)
        assert len(acked_again) == 1
    finally:
        process.terminate()
        process.wait()


async def _one_message(port: int, user: str, password: str, acked: dict[str, bytes]) -> None:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    async with aiosmtplib.SMTP(
        hostname="127.0.0.1", port=port, start_tls=True, tls_context=context, timeout=30
    ) as smtp:
        await smtp.login(user, password)
        raw = _raw(99, 0)
        _, response = await smtp.sendmail(SENDER, ["bob@example.org"], raw)
        acked[response.removeprefix(QUEUED).strip()] = raw

"""Three `sealgate serve` processes with split roles (smtp, web, worker) on one database and
one S3 store (moto's server on loopback), as the "Scaling out" topology runs them. The worker
is killed with SIGKILL in the middle of the flow (the receiving server holds its DATA replies,
so notifications are on the wire when it dies) while the SMTP process takes more mail, then
started again: every recipient is notified exactly once, every submission is done once, and a
recipient reads one message through the web process, its attachment byte-identical.

The worker's delivery claims are leases (at these settings 84 s): a claim the killed worker
held runs out before another worker may take the row. The test brings the end of those leases
forward in the database rather than sleeping through them: that is all waiting would do.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
from collections import Counter
from pathlib import Path

import httpx
import pytest
from aiosmtpd.smtp import SMTP
from sqlalchemy import func, select, update

from sealgate.bootstrap import open_runtime
from sealgate.config import Settings, load, split_hostport
from sealgate.store import OutboundJob, Recipient, Submission
from tests.e2e.mailflow import Browser, link_in, parse, submit, text_of, wait_for_mail
from tests.e2e.test_whole_path import ATTACHMENT_PDF, secure_message
from tests.lab.s3_lab import S3Lab
from tests.lab.serve_process import start_serve
from tests.lab.smtp_sink import SmtpSink, _Handler

FIRST_BATCH, SECOND_BATCH = 12, 6
NOTIFIED = "Secure message from"


class HoldingSink(SmtpSink):
    """A sink that holds every DATA reply until `release` is set, so that a worker killed
    meanwhile dies with deliveries in flight; a mail whose client is gone is not kept."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.held = 0

    def _protocol(self) -> SMTP:
        return SMTP(_Holding(self), hostname=self.hostname, enable_SMTPUTF8=True)


class _Holding(_Handler):
    sink: HoldingSink

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.sink.held += 1
        await self.sink.release.wait()
        if server.transport is None or server.transport.is_closing():
            return "421 4.3.0 gone"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
async def holding_sink():
    server = HoldingSink()
    await server.start()
    yield server
    server.release.set()
    await server.stop()


def _config(path: Path, settings: Settings, sink: SmtpSink, s3_lab: S3Lab, bucket: str) -> Path:
    """One config file for all three processes: the same database, bucket and master key."""
    s3 = {k.removeprefix("SEALGATE_STORAGE__").lower(): v for k, v in
          s3_lab.settings_env(bucket, "gw").items()}  # fmt: skip
    storage = {
        "data_dir": settings.storage.data_dir,
        "database_url": settings.database_url,
        **s3,
    }
    sections = {
        "submission": {
            "listen": settings.submission.listen,
            "tls_cert": settings.submission.tls_cert,
            "tls_key": settings.submission.tls_key,
        },
        "web": {"listen": settings.web.listen, "base_url": settings.web.base_url},
        "delivery": {
            "relay": f"127.0.0.1:{sink.port}",
            "system_from": settings.delivery.system_from,
            "poll_interval": 0.1,
            "retry_base_seconds": 0.2,
            "timeout": 1.0,
        },
        "transport": {"resolver": settings.transport.resolver},
        "storage": storage,
    }
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _stop(process: subprocess.Popen[str], signum: int = signal.SIGTERM) -> int:
    if process.poll() is None:
        process.send_signal(signum)
    return process.wait(30)


def _notifications(sink: SmtpSink) -> dict[str, Counter[str]]:
    """Per recipient: how often each notification (by Message-ID) arrived."""
    seen: dict[str, Counter[str]] = {}
    for received in sink.messages:
        mail = parse(received.content)
        if NOTIFIED in str(mail["Subject"]):
            for rcpt in received.rcpt_tos:
                seen.setdefault(rcpt, Counter())[str(mail["Message-ID"])] += 1
    return seen


async def _wait_notified(sink: SmtpSink, count: int, timeout: float = 60) -> None:
    for _ in range(int(timeout / 0.1)):
        if len(_notifications(sink)) >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{len(_notifications(sink))} of {count} recipients notified")


async def _wait_recorded(config: Path, count: int, timeout: float = 60) -> None:
    """Until `count` queued mails are recorded as sent (or `timeout` passes)."""
    rt = open_runtime(load(config, {}), migrate=False)
    try:
        for _ in range(int(timeout / 0.2)):
            with rt.db.begin() as session:
                done = session.scalar(select(func.count()).where(OutboundJob.state == "done"))
            if done is not None and done >= count:
                return
            await asyncio.sleep(0.2)
    finally:
        rt.close()


async def test_three_roles_survive_a_killed_worker_with_nothing_lost_or_doubled(
    tmp_path, settings, sender, holding_sink: HoldingSink, s3_lab: S3Lab
):
    sink = holding_sink
    bucket = s3_lab.new_bucket()
    config = _config(tmp_path / "sealgate.toml", settings, sink, s3_lab, bucket)
    port = split_hostport(settings.submission.listen)[1]
    rcpts = [f"r{n}@example.org" for n in range(FIRST_BATCH + SECOND_BATCH)]
    processes: list[subprocess.Popen[str]] = []
    logs = (tmp_path / "serve.log").open("w")

    def start(role: str) -> subprocess.Popen[str]:
        process = start_serve(config, role, stderr=logs)
        processes.append(process)
        return process

    async def send(rcpt: str) -> None:
        mail = secure_message(sender.address)
        mail.replace_header("To", rcpt)
        await asyncio.to_thread(submit, port, sender.username, sender.password, mail, [rcpt])

    try:
        start("smtp")
        start("web")
        worker = start("worker")
        await asyncio.gather(*(send(rcpt) for rcpt in rcpts[:FIRST_BATCH]))
        # Mid-flow: the worker dies with notifications in the middle of their DATA.
        for _ in range(300):
            if sink.held:
                break
            await asyncio.sleep(0.1)
        assert sink.held, "no delivery reached the sink"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        await asyncio.sleep(0.2)
        sink.release.set()
        assert not _notifications(sink)
        # The SMTP process takes mail on while no worker runs.
        await asyncio.gather(*(send(rcpt) for rcpt in rcpts[FIRST_BATCH:]))

        rt = open_runtime(load(config, {}), migrate=False)
        try:
            with rt.db.begin(write=True) as session:
                active = session.scalar(select(func.count()).where(OutboundJob.state == "active"))
                session.execute(
                    update(OutboundJob)
                    .where(OutboundJob.state == "active")
                    .values(lease_until=OutboundJob.created_at)
                )
        finally:
            rt.close()
        start("worker")
        await _wait_notified(sink, len(rcpts))

        # One recipient reads the message through the web process; blobs come from S3.
        mail = await wait_for_mail(sink, rcpts[-1], NOTIFIED)
        async with httpx.AsyncClient(timeout=20) as client:
            browser = Browser(client)
            landing = await browser.request("GET", link_in(mail))
            asked = await browser.submit_form(landing)
            if asked.status_code == 303:
                asked = await browser.request("GET", str(asked.url.join(asked.headers["location"])))
            code_mail = await wait_for_mail(sink, rcpts[-1], "code")
            code = re.search(r"\b(\d{6})\b", text_of(code_mail)).group(1)
            verified = await browser.submit_form(asked, code=code)
            page = await browser.request(
                "GET", str(verified.url.join(verified.headers["location"]))
            )
            assert "Lab results 2026-11" in page.text
            pdf = re.search(r'href="([^"]*/attachments/[^"]+)"', page.text).group(1)
            assert (await browser.request("GET", str(page.url.join(pdf)))).content == ATTACHMENT_PDF
        await asyncio.sleep(1)  # anything sent twice would have arrived by now
        # The worker records outcomes in batches: under load the last mail's "done" may
        # still be on its way when the mail itself has arrived.
        await _wait_recorded(config, len(rcpts) + 1)
    finally:
        codes = [_stop(process) for process in reversed(processes)][::-1]
        logs.close()
    assert codes == [0, 0, -signal.SIGKILL, 0], codes  # smtp, web, killed worker, worker

    notified = _notifications(sink)
    assert sorted(notified) == sorted(rcpts)
    # Nothing doubled: one notification (one Message-ID) per recipient. A mail the killed
    # worker had handed over but not yet recorded may arrive again under the same Message-ID
    # (SMTP is at-least-once; RFC 5321 section 6.1): at most one per claim it held.
    assert all(len(ids) == 1 for ids in notified.values()), notified
    resent = sum(sum(c.values()) - 1 for c in notified.values())
    assert resent <= active, (resent, active)
    assert active >= 1  # the killed worker held claims: the restarted one took them over

    rt = open_runtime(load(config, {}), migrate=False)
    try:
        with rt.db.begin() as session:
            states = Counter(session.scalars(select(Submission.state)))
            recipients = Counter(session.scalars(select(Recipient.address)))
            jobs = Counter(session.execute(select(OutboundJob.kind, OutboundJob.state)))
    finally:
        rt.close()
    assert states == {"done": len(rcpts)}
    assert recipients == dict.fromkeys(rcpts, 1)
    assert jobs[("notification", "done")] == len(rcpts) and sum(jobs.values()) == len(rcpts) + 1
    assert not list((Path(settings.storage.data_dir) / "blobs").glob("*/*"))
    assert len(s3_lab.keys(bucket)) >= len(rcpts)
    text = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in text

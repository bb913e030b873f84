"""The whole path over real sockets: smtplib + STARTTLS + AUTH → sealgate serve → SMTP sink →
link → code by mail → read → download, byte-identical. And: a kill -9 after the 250 loses
nothing."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from email.message import EmailMessage

import httpx
import pytest
from sqlalchemy import select

from sealgate.bootstrap import open_runtime
from sealgate.config import split_hostport
from sealgate.store import Conversation, Recipient, Submission
from tests.conftest import make_settings
from tests.e2e.mailflow import (
    Browser,
    link_in,
    running_gateway,
    submit,
    text_of,
    wait_for_mail,
)

ATTACHMENT_PDF = os.urandom(300 * 1024)
ATTACHMENT_TXT = "Ünïcode notes\r\n".encode() * 50


def secure_message(sender: str, **control_headers: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = f"Alice Arts <{sender}>"
    mail["To"] = "bob@example.org"
    mail["Cc"] = "carol@example.net"
    mail["Subject"] = "Lab results 2026-11"
    for name, value in control_headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content("Dear Bob,\nyour lab results are attached.\n")
    mail.add_alternative(
        "<p>Dear Bob,<br><b>your lab results</b> are attached.</p>", subtype="html"
    )
    mail.add_attachment(
        ATTACHMENT_PDF, maintype="application", subtype="pdf", filename="results.pdf"
    )
    mail.add_attachment(ATTACHMENT_TXT, maintype="text", subtype="plain", filename="notes.txt")
    return mail


@pytest.fixture
async def gateway(tmp_path, database_url, tls_files, sink, sender):
    settings = make_settings(
        tmp_path, database_url, tls_files, SEALGATE_DELIVERY__RELAY=f"127.0.0.1:{sink.port}"
    )
    async with running_gateway(settings) as rt:
        yield rt


async def test_submit_notify_verify_read_download(gateway, sink, sender):
    port = split_hostport(gateway.settings.submission.listen)[1]
    rcpts = ["bob@example.org", "carol@example.net", "dave@example.com"]
    await asyncio.to_thread(
        submit,
        port,
        sender.username,
        sender.password,
        secure_message(sender.address, zivver_minimum_recipient_verification="email-verification"),
        rcpts,
    )

    notifications = {r: await wait_for_mail(sink, r, "Secure message from") for r in rcpts}
    for mail in notifications.values():
        body = text_of(mail)
        assert "Lab results" not in str(mail) and "lab results" not in body
        assert sender.address in body and "Alice Arts" in str(mail["Subject"])
        assert "zivver" not in str(mail).lower()

    async with httpx.AsyncClient(timeout=20) as client:
        browser = Browser(client)
        landing = await browser.request("GET", link_in(notifications["bob@example.org"]))
        assert landing.status_code == 200
        asked = await browser.submit_form(landing)
        assert asked.status_code in (200, 303)
        if asked.status_code == 303:
            asked = await browser.request("GET", str(asked.url.join(asked.headers["location"])))
        code_mail = await wait_for_mail(sink, "bob@example.org", "code")
        code = re.search(r"\b(\d{6})\b", text_of(code_mail)).group(1)
        verified = await browser.submit_form(asked, code=code)
        assert verified.status_code == 303
        page = await browser.request("GET", str(verified.url.join(verified.headers["location"])))
        assert page.status_code == 200
        assert "Lab results 2026-11" in page.text
        # One body: the HTML (in its frame), not the text part beside it.
        assert "your lab results are attached" not in page.text
        [frame_src] = re.findall(r'<iframe[^>]* src="([^"]+)"', page.text)
        frame = await browser.request("GET", str(page.url.join(frame_src)))
        assert "<b>your lab results</b> are attached" in frame.text
        downloads = re.findall(r'href="([^"]*/attachments/[^"]+)"', page.text)
        assert len(downloads) == 2
        bodies = [
            (await browser.request("GET", str(page.url.join(href)))).content for href in downloads
        ]
        assert sorted(bodies) == sorted([ATTACHMENT_PDF, ATTACHMENT_TXT])

    with gateway.db.begin() as session:
        rows = session.execute(select(Recipient.address, Recipient.conversation_id)).all()
        kinds = dict(session.execute(select(Conversation.id, Conversation.kind)).all())
    conversation = {address: cid for address, cid in rows}
    assert conversation["bob@example.org"] == conversation["carol@example.net"]
    assert conversation["dave@example.com"] != conversation["bob@example.org"]
    assert kinds[conversation["dave@example.com"]] == "bcc"


async def test_kill_9_after_250_still_delivers(tmp_path, database_url, tls_files, sink, sender):
    """A message acknowledged with 250 survives the process dying at once."""
    settings = make_settings(
        tmp_path, database_url, tls_files, SEALGATE_DELIVERY__RELAY=f"127.0.0.1:{sink.port}"
    )
    config = tmp_path / "sealgate.toml"
    config.write_text("")
    env = {**os.environ, **{f"SEALGATE_{k}": v for k, v in _env_of(settings).items()}}

    log = open(tmp_path / "serve.log", "ab")  # noqa: SIM115 - read it when this test fails

    async def start_serve(*roles: str) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "sealgate",
            "serve",
            "--config",
            str(config),
            *roles,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
        )
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        assert b"ready" in line
        return process

    # First only the SMTP stage, so that nothing after the 250 can have happened yet.
    process = await start_serve("--role", "smtp")
    port = split_hostport(settings.submission.listen)[1]
    await asyncio.to_thread(
        submit,
        port,
        sender.username,
        sender.password,
        secure_message(sender.address),
        ["erin@example.org"],
    )
    process.send_signal(signal.SIGKILL)
    await process.wait()
    rt = open_runtime(settings)
    with rt.db.begin() as session:
        assert session.scalars(select(Submission.state)).all() == ["incoming"]
    rt.close()
    assert not sink.messages

    process = await start_serve()
    try:
        await wait_for_mail(sink, "erin@example.org", "Secure message from", timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0


def _env_of(settings) -> dict[str, str]:
    return {
        "STORAGE__DATA_DIR": settings.storage.data_dir,
        "STORAGE__DATABASE_URL": settings.storage.database_url,
        "SUBMISSION__LISTEN": settings.submission.listen,
        "SUBMISSION__TLS_CERT": settings.submission.tls_cert,
        "SUBMISSION__TLS_KEY": settings.submission.tls_key,
        "WEB__LISTEN": settings.web.listen,
        "WEB__BASE_URL": settings.web.base_url,
        "DELIVERY__RELAY": settings.delivery.relay,
        "DELIVERY__SYSTEM_FROM": settings.delivery.system_from,
        "DELIVERY__POLL_INTERVAL": "0.1",
    }

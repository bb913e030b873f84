"""The whole path over real sockets: smtplib + STARTTLS + AUTH → sealgate serve → SMTP sink →
link → code by mail → read → download, byte-identical. And: a kill -9 after the 250 loses
nothing."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import smtplib
import ssl
import sys
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import httpx
import pytest
from sqlalchemy import select

from sealgate.bootstrap import open_runtime
from sealgate.cli.serve import ROLES, serve
from sealgate.config import split_hostport
from sealgate.store import Conversation, Recipient, Submission
from tests.conftest import make_settings
from tests.lab.smtp_sink import SmtpSink

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


def submit(port: int, username: str, password: str, mail: EmailMessage, rcpts: list[str]) -> str:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.starttls(context=context)
        smtp.login(username, password)
        smtp.send_message(mail, to_addrs=rcpts)
        code, reply = smtp.noop()
    return str(code)


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[return-value]


def text_of(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    return body.get_content()


def link_in(mail: EmailMessage) -> str:
    match = re.search(r"https?://\S+/m/[A-Za-z0-9_-]+", text_of(mail))
    assert match, "no link in the notification"
    return match.group(0)


class Browser:
    """An HTTP client that keeps Secure cookies over http://127.0.0.1 (as browsers do)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.cookies: dict[str, str] = {}

    async def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if self.cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = await self.client.request(method, url, headers=headers, **kwargs)
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";")[0]
        return response

    async def submit_form(self, page: httpx.Response, **fields: str) -> httpx.Response:
        form = re.search(r'<form[^>]*method="post"[^>]*action="([^"]+)"', page.text, re.I)
        assert form, "no POST form on the page"
        hidden = dict(
            re.findall(
                r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page.text
            )
        )
        action = httpx.URL(str(page.url)).join(form.group(1).replace("&amp;", "&"))
        return await self.request(
            "POST",
            str(action),
            data={**hidden, **fields},
            headers={"origin": f"{action.scheme}://{action.netloc.decode()}"},
        )


async def wait_for_mail(sink: SmtpSink, rcpt: str, subject_part: str, timeout: float = 20):
    for _ in range(int(timeout / 0.05)):
        for received in sink.messages:
            mail = parse(received.content)
            if rcpt in received.rcpt_tos and subject_part in str(mail["Subject"]):
                return mail
        await asyncio.sleep(0.05)
    raise AssertionError(f"no mail to {rcpt} with {subject_part!r}")


@pytest.fixture
async def sink():
    server = SmtpSink()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def gateway(tmp_path, database_url, tls_files, sink, sender):
    settings = make_settings(
        tmp_path, database_url, tls_files, SEALGATE_DELIVERY__RELAY=f"127.0.0.1:{sink.port}"
    )
    rt = open_runtime(settings, create=True)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(rt, ROLES, stop))
    await asyncio.sleep(0.3)
    yield rt
    stop.set()
    await asyncio.wait_for(task, 20)
    rt.close()


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
        assert "Lab results 2026-11" in page.text and "your lab results are attached" in page.text
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

"""What the end-to-end tests do as a sender, a recipient's browser and a mailbox."""

from __future__ import annotations

import asyncio
import contextlib
import re
import smtplib
import ssl
from collections.abc import AsyncIterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import httpx

from sealgate.bootstrap import Runtime, open_runtime
from sealgate.cli.serve import ROLES, serve
from sealgate.config import Settings, split_hostport
from tests.lab.smtp_sink import SmtpSink


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


async def follow(browser: Browser, response: httpx.Response) -> httpx.Response:
    """Follow 303 redirects the way a browser does after a form POST."""
    while response.status_code in (302, 303):
        response = await browser.request(
            "GET", str(response.url.join(response.headers["location"]))
        )
    return response


def message_to(sender: str, to: str, subject: str, body: str, **control_headers: str):
    mail = EmailMessage()
    mail["From"] = f"Alice Arts <{sender}>"
    mail["To"] = to
    mail["Subject"] = subject
    for name, value in control_headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return mail


@contextlib.asynccontextmanager
async def running_gateway(settings: Settings) -> AsyncIterator[Runtime]:
    """`sealgate serve` with every stage, in this event loop, stopped (drained) on exit."""
    rt = open_runtime(settings, create=True)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(rt, ROLES, stop))
    await asyncio.sleep(0.3)
    try:
        yield rt
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
        rt.close()


async def send(gateway: Runtime, sender: Any, to: str, subject: str, **headers: str) -> None:
    """Submit a message from `sender` to `to` through the running gateway's SMTP port."""
    port = split_hostport(gateway.settings.submission.listen)[1]
    mail = message_to(sender.address, to, subject, f"Body of {subject}.", **headers)
    await asyncio.to_thread(submit, port, sender.username, sender.password, mail, [to])

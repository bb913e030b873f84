"""The demo mailbox: an aiosmtpd sink writing .eml files, and a small page that lists them."""

from __future__ import annotations

import asyncio
import html
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route

from sealgate.notify import read_outbox
from sealgate.store import new_id, utcnow


class _SaveToFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        name = f"{utcnow():%Y%m%dT%H%M%S}-{new_id()[:8]}.eml"
        content = envelope.original_content or b""
        await asyncio.to_thread((self.folder / name).write_bytes, content)
        return "250 2.0.0 Ok: saved in the demo mailbox"


class Mailbox:
    """Catch-all SMTP on loopback; every mail becomes a file in `folder`."""

    def __init__(self, folder: Path, host: str, port: int) -> None:
        self.folder, self.host, self.port = folder, host, port
        self.folder.mkdir(parents=True, exist_ok=True)
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        handler = _SaveToFolder(self.folder)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(handler, hostname="demo-mailbox"), self.host, self.port
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


# What the demo calls each proof a notification names in its `Sealgate-Proof` field.
METHOD_NAMES = {
    "email_code": "code by email",
    "sms_code": "code by SMS",
    "access_code": "access code",
    "account": "account login",
}


def _method(mail: EmailMessage) -> str:
    """How the mail's recipient opens the message: a notification's proof; other mails (code
    mails, account links, direct deliveries) by what they are."""
    proof = str(mail.get("Sealgate-Proof", "")).strip()
    if proof:
        return METHOD_NAMES.get(proof, proof)
    if mail.get("Auto-Submitted") is not None:
        return "system mail"
    return "direct delivery"


def _summary(path: Path) -> dict[str, Any]:
    mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    body = mail.get_body(preferencelist=("plain",))
    return {
        "name": path.name,
        "to": str(mail.get("To", "")),
        "subject": str(mail.get("Subject", "")) or "(no subject)",
        "method": _method(mail),
        "text": body.get_content() if body is not None else "",
    }


def _sms_items(data_dir: Path) -> str:
    """The demo's SMS outbox, newest first."""
    return "".join(
        f"<article><h2>SMS to {html.escape(sms['to'])}</h2><pre>{html.escape(sms['text'])}</pre>"
        "</article>"
        for sms in reversed(read_outbox(data_dir))
    )


def mailbox_app(folder: Path, sms_data_dir: Path | None = None) -> Starlette:
    """A page with every caught mail and SMS, newest first; links stay clickable."""

    async def index(request: Request) -> HTMLResponse:
        files = sorted(folder.glob("*.eml"), reverse=True)
        items = []
        for mail in map(_summary, files):
            text = html.escape(mail["text"])
            for word in set(text.split()):
                if word.startswith(("http://", "https://")):
                    text = text.replace(word, f'<a href="{word}">{word}</a>')
            items.append(
                f"<article><h2>{html.escape(mail['subject'])}</h2>"
                f"<p>To: {html.escape(mail['to'])} · Method: {html.escape(mail['method'])}"
                f" · <a href='raw/{mail['name']}'>raw</a></p>"
                f"<pre>{text}</pre></article>"
            )
        body = "".join(items) or "<p>No mail yet. Submit a message, then check for new mail.</p>"
        if sms_data_dir is not None:
            body += "<h1>Demo SMS outbox</h1>" + (_sms_items(sms_data_dir) or "<p>No SMS yet.</p>")
        # No timed refresh (WCAG 2.2.1): a link reloads the page when the reader wants.
        return HTMLResponse(
            "<!doctype html><html lang=en><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            "<title>sealgate demo mailbox</title>"
            "<style>body{font-family:sans-serif;max-width:50rem;margin:auto;padding:1rem}"
            "pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f4f4f4;padding:.5rem}"
            "a:focus-visible{outline:3px solid #1d1d1f;outline-offset:2px}</style>"
            f"<main><h1>Demo mailbox</h1><p><a href='/'>Check for new mail</a></p>{body}</main>"
        )

    async def raw(request: Request) -> PlainTextResponse:
        name = Path(request.path_params["name"]).name
        path = folder / name
        if not name.endswith(".eml") or not path.is_file():
            return PlainTextResponse("no such mail", status_code=404)
        return PlainTextResponse(path.read_text(errors="replace"))

    return Starlette(routes=[Route("/", index), Route("/raw/{name}", raw)])

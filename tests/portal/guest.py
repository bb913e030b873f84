"""A guest's browser for portal tests: httpx that keeps our Secure cookies over plain http.

httpx (rightly) never sends a Secure cookie over http://, and the portal's cookies are all
Secure, so this client keeps them itself and sends them in a Cookie header, as a browser on
127.0.0.1 does. It also reads codes back from the outbound queue, as the guest reads mail.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import httpx
from sqlalchemy import select
from starlette.types import ASGIApp

from sealgate.bootstrap import Runtime
from sealgate.delivery import queued_mail
from sealgate.portal import create_app
from sealgate.store import OutboundJob, VerificationCode

_HIDDEN = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]*)">')
_CODE = re.compile(r"Your verification code is: (\d{6})")


@asynccontextmanager
async def portal_client(
    rt: Runtime, app: ASGIApp | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the portal of `rt` (or on `app`), in process."""
    transport = httpx.ASGITransport(app=app or create_app(rt))
    async with httpx.AsyncClient(transport=transport, base_url=rt.settings.web.base_url) as client:
        yield client


class GuestBrowser:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    async def request(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})  # type: ignore[call-overload]
        if self.cookies and "cookie" not in {name.lower() for name in headers}:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = await self.client.request(method, path, headers=headers, **kwargs)
        self.client.cookies.clear()
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";")[0]
            if "max-age=0" in header.lower() or not value:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        if match := _HIDDEN.search(response.text):
            self.csrf = match.group(1)
        return response

    async def get(self, path: str, **kwargs: object) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, data: dict[str, str] | None = None, **kwargs: object):
        fields = {"csrf_token": self.csrf, **(data or {})}
        return await self.request("POST", path, data=fields, **kwargs)

    async def follow(self, response: httpx.Response) -> httpx.Response:
        """The page a 303 sends the browser on to (POST-redirect-GET), fetched with GET."""
        assert response.status_code == 303, (response.status_code, response.text)
        return await self.get(response.headers["location"])

    async def post_and_follow(
        self, path: str, data: dict[str, str] | None = None
    ) -> httpx.Response:
        """POST a form and land where the browser does: the GET page its 303 names."""
        return await self.follow(await self.post(path, data))

    async def ask_for_code(self, token: str) -> httpx.Response:
        await self.get(f"/m/{token}")
        return await self.post(f"/m/{token}/code")

    async def sign_in(self, rt: Runtime, token: str, recipient_id: str) -> httpx.Response:
        """The whole flow: open the link, ask for a code, read it from the queue, type it."""
        asked = await self.ask_for_code(token)
        assert asked.headers.get("location") == f"/m/{token}/verify", asked.text
        await self.get(f"/m/{token}/verify")
        verified = await self.post(f"/m/{token}/verify", {"code": latest_code(rt, recipient_id)})
        assert verified.headers.get("location") == f"/m/{token}/read", verified.text
        return verified


def code_mails(rt: Runtime, recipient_id: str) -> list[EmailMessage]:
    """The code mails queued for a recipient, oldest first, decrypted from the vault."""
    with rt.db.begin() as session:
        jobs = session.scalars(
            select(OutboundJob)
            .where(OutboundJob.recipient_id == recipient_id, OutboundJob.kind == "code")
            .order_by(OutboundJob.created_at, OutboundJob.id)
        ).all()
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(queued_mail(rt.vault, job)) for job in jobs]  # type: ignore[misc]


def code_in(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    match = _CODE.search(body.get_content())
    assert match, "no code in the code mail"
    return match.group(1)


def latest_code(rt: Runtime, recipient_id: str) -> str:
    mails = code_mails(rt, recipient_id)
    assert mails, "no code mail queued"
    return code_in(mails[-1])


def shift_code(rt: Runtime, recipient_id: str, **moves: timedelta) -> None:
    """Move the code's clock fields back in time, as if that much time had passed."""
    with rt.db.begin() as session:
        row = session.scalars(
            select(VerificationCode).where(VerificationCode.recipient_id == recipient_id)
        ).one()
        for name, delta in moves.items():
            setattr(row, name, getattr(row, name) - delta)

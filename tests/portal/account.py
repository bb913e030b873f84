"""An account holder's side of the portal for tests: log in, enrol the app, type codes."""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass

import httpx
import pyotp

from tests.portal.guest import GuestBrowser

DORA = "dora@clinic.example"
DORA_PASSWORD = "correct horse battery staple"

_SECRET = re.compile(r'<p class="secret"><code>([A-Z2-7 ]+)</code></p>')
_RECOVERY = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


@dataclass(frozen=True)
class Enrolled:
    secret: str
    recovery_codes: list[str]
    used_code: str = ""  # the code that confirmed the enrolment


def totp_now(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


async def log_in(
    browser: GuestBrowser, email: str, password: str, token: str | None = None
) -> httpx.Response:
    """The password step, from the login page or from a message's start page."""
    start = f"/m/{token}" if token else "/login"
    await browser.get(start)
    return await browser.post(
        f"{start}/login" if token else "/login", {"email": email, "password": password}
    )


def enrolment_of(page: httpx.Response) -> Enrolled:
    match = _SECRET.search(page.text)
    assert match, "no secret on the enrolment page"
    return Enrolled(match.group(1).replace(" ", ""), _RECOVERY.findall(html.unescape(page.text)))


async def enrol(
    browser: GuestBrowser,
    email: str = DORA,
    password: str = DORA_PASSWORD,
    token: str | None = None,
) -> tuple[Enrolled, httpx.Response]:
    """Password, then confirm the new app with its current code; returns the last answer."""
    page = await browser.follow(await log_in(browser, email, password, token))
    assert page.status_code == 200, page.text
    shown = enrolment_of(page)
    code = totp_now(shown.secret)
    confirmed = await browser.post("/login/enrol", {"code": code})
    return Enrolled(shown.secret, shown.recovery_codes, code), confirmed


async def second_step(browser: GuestBrowser, code: str) -> httpx.Response:
    await browser.get("/login/totp")
    return await browser.post("/login/totp", {"code": code})

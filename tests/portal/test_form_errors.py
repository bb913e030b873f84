"""POST-redirect-GET for every refusal, over real HTTP: each refused POST answers 303 to a GET.

Issue 11 item 6: after a wrong code the back button showed "Confirm Form Resubmission". Now
no refused form renders a page: it redirects to its form with `?error=<key>`, and the GET
words the refusal from the database. Each case below POSTs over a loopback socket (uvicorn),
checks the 303 and its Location, then GETs that page and finds the sentence and the form.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from sealgate.bootstrap import Runtime
from tests.conftest import Sender
from tests.portal.account import DORA, DORA_PASSWORD, enrol, log_in
from tests.portal.guest import GuestBrowser, latest_code, shift_code
from tests.portal.over_http import http_browser
from tests.portal.recipients import Spec, add_reader, store_for

BOB = "bob@example.org"


async def refused(
    browser: GuestBrowser,
    path: str,
    data: dict[str, str],
    location: str,
    sentence: str,
    status: int = 200,
) -> httpx.Response:
    """POST `data`; it must answer 303 to `location`, a GET page that says `sentence`."""
    answer = await browser.post(path, data)
    assert answer.status_code == 303, (path, answer.status_code, answer.text[:300])
    assert answer.headers["location"] == location
    assert answer.content == b""
    page = await browser.get(location)
    assert page.status_code == status, (location, page.status_code)
    assert sentence in page.text, (location, sentence)
    return page


async def test_every_code_refusal_redirects_to_the_form(runtime: Runtime, sender: Sender):
    guest = store_for(runtime, sender, [Spec(BOB)])[BOB]
    token, form = guest.token, f"/m/{guest.token}/verify"
    async with http_browser(runtime) as browser:
        await browser.get(f"/m/{token}")
        await refused(browser, form, {"code": "123456"}, f"{form}?error=no_code", "code first")
        await browser.post(f"/m/{token}/code")
        code = latest_code(runtime, guest.recipient_id)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        page = await refused(browser, form, {"code": "12a"}, f"{form}?error=digits", "6 digits")
        assert 'name="code"' in page.text and 'name="csrf_token"' in page.text
        await refused(
            browser, form, {"code": wrong}, f"{form}?error=wrong", "wrong. 4 attempts left."
        )
        await refused(browser, f"/m/{token}/code", {}, f"{form}?error=wait", "Please wait")
        for _ in range(3):
            await browser.post(form, {"code": wrong})
        await refused(
            browser, form, {"code": wrong}, f"{form}?error=exhausted", "Too many wrong codes"
        )
        for _ in range(2):
            shift_code(runtime, guest.recipient_id, last_sent_at=timedelta(seconds=31))
            assert (await browser.post(f"/m/{token}/code")).headers["location"] == form
        shift_code(runtime, guest.recipient_id, last_sent_at=timedelta(seconds=31))
        await refused(
            browser, f"/m/{token}/code", {}, f"{form}?error=too_many", "most codes allowed"
        )
        shift_code(runtime, guest.recipient_id, expires_at=timedelta(seconds=601))
        fresh = latest_code(runtime, guest.recipient_id)
        await refused(browser, form, {"code": fresh}, f"{form}?error=expired", "has expired")


async def test_every_access_code_refusal_redirects_to_the_start_page(runtime, sender):
    spec = Spec(BOB, "access_code", access_code="Tulip-2026", hint="the flower")
    guest = store_for(runtime, sender, [spec])[BOB]
    start, path = f"/m/{guest.token}", f"/m/{guest.token}/access-code"
    async with http_browser(runtime) as browser:
        await browser.get(start)
        await refused(browser, path, {"access_code": " "}, f"{start}?error=empty", "Please type")
        for left in ("4 attempts", "3 attempts", "2 attempts", "1 attempt"):
            page = await refused(
                browser, path, {"access_code": "Rose"}, f"{start}?error=wrong", f"{left} left."
            )
            assert "Hint from the sender" in page.text
        # The attempt that locks goes to the start page, which answers 429 for a locked link.
        await refused(browser, path, {"access_code": "Rose"}, start, "can no longer", 429)


@pytest.mark.parametrize("from_message", [False, True])
async def test_every_login_refusal_redirects_to_the_login_form(runtime, sender, from_message):
    add_reader(runtime, DORA, DORA_PASSWORD)
    token = None
    form = "/login"
    if from_message:
        token = store_for(runtime, sender, [Spec(DORA, "account")])[DORA].token
        form = f"/m/{token}"
    path = f"{form}/login" if from_message else "/login"
    async with http_browser(runtime) as browser:
        await browser.get(form)
        missing = {"email": DORA, "password": ""}
        await refused(browser, path, missing, f"{form}?error=missing", "Please type your email")
        wrong = {"email": DORA, "password": "not it"}
        for _ in range(9):
            await refused(browser, path, wrong, f"{form}?error=failed", "is not right")
        # Only the message's page knows the address (the recipient's) to read its lock from.
        sentence = "try again in 15 minutes" if from_message else "Please try again later"
        await refused(browser, path, wrong, f"{form}?error=locked", sentence)
        right = {"email": DORA, "password": DORA_PASSWORD}
        await refused(browser, path, right, f"{form}?error=locked", sentence)


async def test_every_second_factor_refusal_redirects_to_its_form(runtime: Runtime):
    add_reader(runtime, DORA, DORA_PASSWORD)
    async with http_browser(runtime) as browser:
        password = await log_in(browser, DORA, DORA_PASSWORD)
        assert password.headers["location"] == "/account/enrol"
        await browser.get("/account/enrol")
        page = await refused(
            browser, "/login/enrol", {"code": "000000"}, "/account/enrol?error=wrong", "not right"
        )
        assert "Set up your second step" in page.text
    async with http_browser(runtime) as setup:
        await enrol(setup)
    async with http_browser(runtime) as browser:
        await log_in(browser, DORA, DORA_PASSWORD)
        await browser.get("/login/totp")
        # The right password's attempt was given back: nine wrong codes, then the lock.
        for _ in range(9):
            await refused(
                browser, "/login/totp", {"code": "x"}, "/login/totp?error=wrong", "not right"
            )
        await refused(
            browser, "/login/totp", {"code": "x"}, "/login/totp?error=locked", "15 minutes"
        )


async def test_unknown_or_foreign_keys_show_nothing(runtime: Runtime, sender: Sender):
    guests = store_for(runtime, sender, [Spec(BOB), Spec(DORA, "access_code", access_code="c")])
    async with http_browser(runtime) as browser:
        for path in (
            f"/m/{guests[BOB].token}/verify?error=<script>",
            f"/m/{guests[BOB].token}/verify?error=That+code+is+wrong",
            f"/m/{guests[BOB].token}?error=failed",
            f"/m/{guests[DORA].token}?error=locked",
            "/login?error=wrong",
        ):
            page = await browser.get(path)
            assert page.status_code == 200, path
            assert 'role="alert"' not in page.text, path
            assert "&lt;script&gt;" not in page.text and "<script>" not in page.text

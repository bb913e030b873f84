"""CSRF: every form needs the signed double-submit token, and a foreign Origin is refused."""

from __future__ import annotations

import pytest

from sealgate.bootstrap import Runtime
from tests.portal.guest import GuestBrowser, code_mails, latest_code

REFUSED = "This form could not be accepted"


async def test_csrf_cookie_attributes(browser: GuestBrowser, stored):
    page = await browser.get(f"/m/{stored.bob.token}")
    [cookie] = page.headers.get_list("set-cookie")
    assert cookie.startswith("sealgate_csrf=")
    lowered = cookie.lower()
    assert "secure" in lowered and "httponly" in lowered and "samesite=strict" in lowered
    assert "path=/" in lowered
    # The hidden field is not the cookie itself but bound to it.
    assert browser.csrf and browser.csrf != browser.cookies["sealgate_csrf"]
    # A second visit keeps the same token and sets no cookie.
    again = await browser.get(f"/m/{stored.bob.token}")
    assert again.headers.get_list("set-cookie") == []


@pytest.mark.parametrize("tamper", ["no-field", "wrong-field", "no-cookie", "other-cookie"])
async def test_send_code_without_valid_token_is_refused(
    runtime: Runtime, browser: GuestBrowser, stored, tamper: str
):
    await browser.get(f"/m/{stored.bob.token}")
    if tamper == "no-cookie":
        browser.cookies.pop("sealgate_csrf")
    elif tamper == "other-cookie":
        browser.cookies["sealgate_csrf"] = "A" * 43
    path = f"/m/{stored.bob.token}/code"
    if tamper == "no-field":
        response = await browser.request("POST", path, data={})
    elif tamper == "wrong-field":
        response = await browser.post(path, {"csrf_token": "0" * 64})
    else:
        response = await browser.post(path)
    assert response.status_code == 403
    assert REFUSED in response.text
    assert code_mails(runtime, stored.bob.recipient_id) == []


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "http://127.0.0.1:1"},
        {"origin": "null", "sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"sec-fetch-site": "cross-site"},
    ],
)
async def test_foreign_origin_is_refused(
    runtime: Runtime, browser: GuestBrowser, stored, headers: dict[str, str]
):
    """A valid token is not enough when the request says it comes from elsewhere."""
    await browser.get(f"/m/{stored.bob.token}")
    response = await browser.post(f"/m/{stored.bob.token}/code", headers=headers)
    assert response.status_code == 403
    assert code_mails(runtime, stored.bob.recipient_id) == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"origin": "BASE"},
        {"origin": "BASE", "sec-fetch-site": "same-origin"},
        # What a browser sends for a form on a page under Referrer-Policy: no-referrer.
        {"origin": "null", "sec-fetch-site": "same-origin"},
    ],
)
async def test_own_origin_is_accepted(
    runtime: Runtime, browser: GuestBrowser, stored, headers: dict[str, str]
):
    await browser.get(f"/m/{stored.bob.token}")
    sent = {k: v.replace("BASE", runtime.settings.web.base_url) for k, v in headers.items()}
    response = await browser.post(f"/m/{stored.bob.token}/code", headers=sent)
    assert response.status_code == 303


async def test_verify_without_token_costs_no_attempt(
    runtime: Runtime, browser: GuestBrowser, stored
):
    await browser.ask_for_code(stored.bob.token)
    code = latest_code(runtime, stored.bob.recipient_id)
    response = await browser.request("POST", f"/m/{stored.bob.token}/verify", data={"code": code})
    assert response.status_code == 403
    assert "sealgate_session" not in browser.cookies
    # The code is still there and still works with the token.
    good = await browser.post(f"/m/{stored.bob.token}/verify", {"code": code})
    assert good.status_code == 303


async def test_token_of_another_browser_is_refused(client, stored):
    alice, mallory = GuestBrowser(client), GuestBrowser(client)
    await alice.get(f"/m/{stored.bob.token}")
    await mallory.get(f"/m/{stored.bob.token}")
    mallory.csrf = alice.csrf
    response = await mallory.post(f"/m/{stored.bob.token}/code")
    assert response.status_code == 403

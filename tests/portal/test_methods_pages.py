"""The rules every page keeps, for the pages of every method: GET changes nothing, every
form needs its CSRF token, every page sends the security headers, phones see a viewport."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.store import Account, Recipient
from tests.portal.account import DORA, DORA_PASSWORD, enrol, log_in
from tests.portal.guest import GuestBrowser
from tests.portal.recipients import PHONE, Spec, add_reader, outbox, store_for
from tests.portal.test_headers import assert_page_headers
from tests.portal.test_link import database_snapshot

BOB = "bob@example.org"


@pytest.fixture
def guests(runtime: Runtime, sender):
    add_reader(runtime, DORA, DORA_PASSWORD)
    return {
        "sms": store_for(runtime, sender, [Spec(BOB, "sms", phone=PHONE)])[BOB],
        "access": store_for(runtime, sender, [Spec(BOB, "access_code", access_code="c0de")])[BOB],
        "account": store_for(runtime, sender, [Spec(DORA, "account")])[DORA],
    }


async def test_gets_change_nothing(runtime: Runtime, browser: GuestBrowser, guests):
    before = database_snapshot(runtime)
    paths = ["/login", "/login/totp", "/login/enrol", "/logout", "/inbox"]
    for guest in guests.values():
        paths += [f"/m/{guest.token}{tail}" for tail in ("", "/verify", "/access-code", "/login")]
        paths += [f"/inbox/{guest.recipient_id}/read", f"/inbox/{guest.recipient_id}/html"]
    for path in paths:
        await browser.get(path)
        await browser.request("HEAD", path)
    assert database_snapshot(runtime) == before
    assert outbox(runtime) == []


async def test_enrolment_page_changes_nothing_when_fetched(runtime, browser, guests):
    """The enrolment secret is made by the password POST, never by a GET of any page."""
    with runtime.db.begin() as session:
        assert session.scalars(select(Account.totp_secret).where(Account.email == DORA)).one() == ""
    page = await browser.get(f"/m/{guests['account'].token}")
    assert "Set up your second step" not in page.text


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/m/{sms}/code", {}),
        ("/m/{sms}/verify", {"code": "123456"}),
        ("/m/{access}/access-code", {"access_code": "c0de"}),
        ("/m/{account}/login", {"email": DORA, "password": DORA_PASSWORD}),
        ("/login", {"email": DORA, "password": DORA_PASSWORD}),
        ("/login/totp", {"code": "123456"}),
        ("/login/enrol", {"code": "123456"}),
        ("/logout", {}),
    ],
)
async def test_every_form_needs_its_csrf_token(runtime, browser, guests, path, fields):
    path = path.format(**{name: guest.token for name, guest in guests.items()})
    await browser.get(f"/m/{guests['access'].token}")
    before = database_snapshot(runtime)
    missing = await browser.request("POST", path, data=fields)
    foreign = await browser.post(path, fields, headers={"origin": "https://evil.example"})
    assert (missing.status_code, foreign.status_code) == (403, 403)
    assert database_snapshot(runtime) == before and outbox(runtime) == []
    assert "sealgate_login" not in browser.cookies and "sealgate_session" not in browser.cookies


async def test_pages_send_security_headers_and_fit_a_phone(runtime, browser, client, guests):
    responses = [
        await browser.get(f"/m/{guests['sms'].token}"),
        await browser.post(f"/m/{guests['sms'].token}/code"),
        await browser.get(f"/m/{guests['sms'].token}/verify"),
        await browser.get(f"/m/{guests['access'].token}"),
        await browser.post(f"/m/{guests['access'].token}/access-code", {"access_code": "no"}),
        await browser.get(f"/m/{guests['account'].token}"),
        await browser.get("/login"),
        await log_in(browser, DORA, "wrong"),
        await log_in(browser, DORA, DORA_PASSWORD),
    ]
    _, done = await enrol(GuestBrowser(client))
    account = GuestBrowser(client)
    responses += [
        await log_in(account, DORA, DORA_PASSWORD),
        await account.get("/login/totp"),
        await account.post("/login/totp", {"code": "000000"}),
        done,
    ]
    for response in responses:
        assert_page_headers(response)
        if response.status_code != 303:
            assert 'name="viewport"' in response.text, response.url


async def test_direct_delivery_recipient_uses_the_email_code(runtime, browser, sender):
    """A method we do not prove in the portal falls back to the address check, never to none."""
    guest = store_for(runtime, sender, [Spec(BOB, "nta7516")])[BOB]
    page = await browser.get(f"/m/{guest.token}")
    assert "Send me a code" in page.text and "by SMS" not in page.text
    with runtime.db.begin() as session:
        assert session.get(Recipient, guest.recipient_id).method == "nta7516"

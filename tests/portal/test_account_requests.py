"""Forgot password: the same answer whether or not the account exists, and rate limits."""

from __future__ import annotations

from sealgate.directory import add_account, create_org
from tests.portal.account import DORA
from tests.portal.account_mail import account_mails, latest_link
from tests.portal.guest import GuestBrowser, portal_client
from tests.portal.test_account_setup import NEW_PASSWORD, choose

STRANGER = "nobody@clinic.example"


def _dora(rt) -> None:
    with rt.db.begin() as session:
        create_org(session, "Clinic", ["clinic.example"])
        add_account(session, DORA, "Clinic", "correct horse battery staple", "Dora Dekker")


async def _forgot(browser: GuestBrowser, address: str):
    form = await browser.get("/forgot")
    assert form.status_code == 200 and 'action="/forgot"' in form.text
    return await browser.post("/forgot", {"email": address})


async def test_the_answer_is_the_same_with_or_without_an_account(runtime, client):
    _dora(runtime)
    answers = []
    for address in (DORA, STRANGER, "not an address"):
        browser = GuestBrowser(client)
        posted = await _forgot(browser, address)
        page = await browser.get(posted.headers["location"])
        answers.append(
            (posted.status_code, posted.headers["location"], page.status_code, page.text)
        )
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][:3] == (303, "/forgot/sent", 200)
    assert "If there is an account for the address you typed" in answers[0][3]
    [mail] = account_mails(runtime, DORA)
    assert mail["Subject"] == "Clinic: choose a new password"
    assert account_mails(runtime, STRANGER) == []


async def test_the_reset_link_from_forgot_works(runtime, browser):
    _dora(runtime)
    await _forgot(browser, DORA.upper())
    path = latest_link(runtime, DORA)
    assert "Choose a new password" in (await browser.get(path)).text
    # No app enrolled yet: the new password leads to the enrolment.
    assert (await choose(browser, path, NEW_PASSWORD)).headers["location"] == "/account/enrol"


async def test_forgot_is_limited_per_address(runtime, client):
    _dora(runtime)
    for address in (DORA, STRANGER):
        browser = GuestBrowser(client)
        locations = [(await _forgot(browser, address)).headers["location"] for _ in range(4)]
        assert locations == ["/forgot/sent"] * 3 + ["/account/wait"]
        wait = await browser.get("/account/wait")
        assert wait.status_code == 429 and wait.headers["retry-after"] == "3600"
        assert "no mail was sent" in wait.text
    assert len(account_mails(runtime, DORA)) == 3


async def test_forgot_is_limited_per_client(sender_factory):
    rt, _ = sender_factory(
        SEALGATE_ACCOUNTS__LINK_REQUESTS_PER_ADDRESS="50",
        SEALGATE_ACCOUNTS__LINK_REQUESTS_PER_CLIENT="2",
    )
    _dora(rt)
    async with portal_client(rt) as client:
        browser = GuestBrowser(client)
        locations = [
            (await _forgot(browser, address)).headers["location"]
            for address in ("a@clinic.example", "b@clinic.example", DORA)
        ]
    assert locations == ["/forgot/sent", "/forgot/sent", "/account/wait"]
    assert account_mails(rt, DORA) == []


async def test_forgot_needs_csrf(runtime, client):
    _dora(runtime)
    forged = await client.post("/forgot", data={"email": DORA})
    assert forged.status_code == 403 and account_mails(runtime, DORA) == []


async def test_forgot_pages_carry_the_security_headers(client):
    for path in ("/forgot", "/forgot/sent", "/account/wait"):
        page = await client.get(path)
        assert page.headers["x-frame-options"] == "DENY", path
        assert page.headers["cache-control"] == "no-store", path

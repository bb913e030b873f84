"""Account login: password (argon2), TOTP enrolment with QR and recovery codes, lockouts."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from sealgate.bootstrap import Runtime
from sealgate.directory import add_account, disable_account
from sealgate.portal.totp import TOTP_KEY_PURPOSE, open_secret
from sealgate.store import Account, PortalSession, Recipient
from tests.portal.account import (
    DORA,
    DORA_PASSWORD,
    enrol,
    enrolment_of,
    log_in,
    second_step,
    totp_now,
)
from tests.portal.guest import GuestBrowser
from tests.portal.recipients import Spec, add_reader, store_for

FAILED = "The email address or password is not right."


@pytest.fixture
def dora(runtime: Runtime) -> int:
    return add_reader(runtime, DORA, DORA_PASSWORD)


def account_row(rt: Runtime, account_id: int) -> Account:
    with rt.db.begin() as session:
        return session.get(Account, account_id)


async def test_first_login_enrols_the_app(runtime: Runtime, browser: GuestBrowser, dora):
    password = await log_in(browser, DORA, DORA_PASSWORD)
    assert password.status_code == 303 and password.headers["location"] == "/account/enrol"
    page = await browser.follow(password)
    assert page.status_code == 200
    assert '<img src="data:image/svg+xml' in page.text
    enrolled = enrolment_of(page)
    assert len(enrolled.secret) == 32 and len(set(enrolled.recovery_codes)) == 10
    assert "shown only this once" in page.text
    account = account_row(runtime, dora)
    assert not account.totp_enabled and enrolled.secret not in account.totp_secret
    assert open_secret(runtime.subkey(TOTP_KEY_PURPOSE), dora, account.totp_secret).secret == (
        enrolled.secret
    )
    assert len(account.recovery_codes) == 10
    assert not any(code in str(account.recovery_codes) for code in enrolled.recovery_codes)
    # No session yet: the password alone opens nothing.
    assert "sealgate_session" not in browser.cookies
    assert (await browser.get("/inbox")).headers["location"] == "/login"
    # A wrong code goes back to the enrolment page (a GET): the same QR and codes again.
    refused = await browser.post("/login/enrol", {"code": "000000"})
    assert refused.headers["location"] == "/account/enrol?error=wrong"
    wrong = await browser.follow(refused)
    assert wrong.status_code == 200 and "That code is not right" in wrong.text
    assert enrolment_of(wrong) == enrolled
    confirmed = await browser.post("/login/enrol", {"code": totp_now(enrolled.secret)})
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/inbox"
    assert "sealgate_login" not in browser.cookies
    assert account_row(runtime, dora).totp_enabled
    with runtime.db.begin() as session:
        [stored] = session.scalars(select(PortalSession)).all()
    assert (stored.account_id, stored.recipient_id) == (dora, None)
    inbox = await browser.get("/inbox")
    assert inbox.status_code == 200 and DORA in inbox.text


async def test_login_with_totp_refuses_a_reused_code(runtime: Runtime, browser, client, dora):
    enrolled, _ = await enrol(browser)
    used = enrolled.used_code
    later = GuestBrowser(client)
    password = await log_in(later, DORA, DORA_PASSWORD)
    assert password.status_code == 303 and password.headers["location"] == "/login/totp"
    form = await later.get("/login/totp")
    assert form.status_code == 200 and 'autocomplete="one-time-code"' in form.text
    refused = await later.post("/login/totp", {"code": used})
    assert refused.headers["location"] == "/login/totp?error=wrong"
    reused = await later.follow(refused)
    assert reused.status_code == 200 and "That code is not right" in reused.text
    done = await later.post("/login/totp", {"code": totp_now(enrolled.secret, 1)})
    assert done.status_code == 303 and done.headers["location"] == "/inbox"
    assert (await later.get("/inbox")).status_code == 200


async def test_recovery_code_logs_in_once(runtime: Runtime, browser, client, dora):
    enrolled, _ = await enrol(browser)
    code = enrolled.recovery_codes[3]
    first = GuestBrowser(client)
    await log_in(first, DORA, DORA_PASSWORD)
    done = await second_step(first, code.upper().replace("-", " "))
    assert done.status_code == 303
    assert len(account_row(runtime, dora).recovery_codes) == 9
    second = GuestBrowser(client)
    await log_in(second, DORA, DORA_PASSWORD)
    again = await second_step(second, code)
    assert again.headers["location"] == "/login/totp?error=wrong"
    assert "sealgate_session" not in second.cookies


@pytest.mark.parametrize("case", ["unknown", "wrong-password", "disabled", "no-password"])
async def test_failed_logins_look_the_same(runtime: Runtime, browser, dora, case):
    email, password = DORA, DORA_PASSWORD
    if case == "unknown":
        email = "nobody@clinic.example"
    elif case == "wrong-password":
        password = "not it"
    elif case == "disabled":
        with runtime.db.begin() as session:
            disable_account(session, DORA)
    else:
        with runtime.db.begin() as session:
            add_account(session, "eve@clinic.example", "Clinic")
        email, password = "eve@clinic.example", "sealgate-no-such-user"
    refused = await log_in(browser, email, password)
    assert refused.headers["location"] == "/login?error=failed"
    assert "sealgate_login" not in browser.cookies
    page = await browser.follow(refused)
    assert page.status_code == 200 and FAILED in page.text


async def test_ten_failures_lock_the_address(runtime: Runtime, browser, dora):
    for _ in range(9):
        wrong = await log_in(browser, DORA.upper(), "wrong")
        assert wrong.headers["location"] == "/login?error=failed"
    tenth = await log_in(browser, DORA, "wrong")
    assert tenth.headers["location"] == "/login?error=locked"
    assert 899 <= int(tenth.headers["retry-after"]) <= 900
    # /login does not know the address (it is not in the URL): no minutes to name.
    page = await browser.follow(tenth)
    assert page.status_code == 200 and "Too many failed log-ins" in page.text
    assert "Please try again later" in page.text
    right = await log_in(browser, DORA, DORA_PASSWORD)
    assert right.headers["location"] == "/login?error=locked"
    assert "sealgate_login" not in browser.cookies
    # Unknown addresses lock the same way: a lockout tells nothing about accounts.
    for _ in range(10):
        last = await log_in(browser, "nobody@clinic.example", "wrong")
    assert last.headers["location"] == "/login?error=locked"


async def test_wrong_totp_codes_count_towards_the_lockout(runtime: Runtime, browser, client, dora):
    await enrol(browser)
    guesser = GuestBrowser(client)
    await log_in(guesser, DORA, DORA_PASSWORD)
    for _ in range(9):
        wrong = await guesser.post("/login/totp", {"code": "123456"})
        assert wrong.headers["location"] == "/login/totp?error=wrong"
    refused = await guesser.post("/login/totp", {"code": "123456"})
    assert refused.headers["location"] == "/login/totp?error=locked"
    # The form reads the wait from the account's row: the whole window, in minutes.
    locked = await guesser.follow(refused)
    assert "Please try again in 15 minutes" in locked.text
    password = await log_in(guesser, DORA, DORA_PASSWORD)
    assert password.headers["location"] == "/login?error=locked"


async def test_second_step_needs_a_ticket(runtime: Runtime, browser, dora):
    form = await browser.get("/login/totp")
    assert form.status_code == 303 and form.headers["location"] == "/login"
    await browser.get("/login")
    browser.cookies["sealgate_login"] = f"{dora}.totp.9999999999.-.forged"
    posted = await browser.post("/login/totp", {"code": "123456"})
    assert posted.status_code == 303 and posted.headers["location"] == "/login"
    enrol_post = await browser.post("/login/enrol", {"code": "123456"})
    assert enrol_post.status_code == 303


async def test_enrolment_ticket_cannot_skip_an_enabled_factor(runtime, browser, client, dora):
    """An `enrol` ticket from before the app was confirmed is useless afterwards."""
    page = await browser.follow(await log_in(browser, DORA, DORA_PASSWORD))
    secret = enrolment_of(page).secret
    stale_ticket = browser.cookies["sealgate_login"]
    await browser.post("/login/enrol", {"code": totp_now(secret)})
    other = GuestBrowser(client)
    await other.get("/login")
    other.cookies["sealgate_login"] = stale_ticket
    replay = await other.post("/login/enrol", {"code": totp_now(secret, 1)})
    assert replay.status_code == 303 and replay.headers["location"] == "/login"
    assert "sealgate_session" not in other.cookies


async def test_login_from_the_message_link(runtime: Runtime, browser, client, sender, dora):
    guest = store_for(runtime, sender, [Spec(DORA, "account")])[DORA]
    start = await browser.get(f"/m/{guest.token}")
    assert "Log in to read it" in start.text and f'action="/m/{guest.token}/login"' in start.text
    assert 'autocomplete="current-password"' in start.text and "Send me a code" not in start.text
    # Another account's valid password does not open Dora's message.
    with runtime.db.begin() as session:
        add_account(session, "erik@clinic.example", "Clinic", "erik-pw")
    other = await log_in(browser, "erik@clinic.example", "erik-pw", guest.token)
    assert other.headers["location"] == f"/m/{guest.token}?error=failed"
    assert FAILED in (await browser.follow(other)).text
    enrolled, done = await enrol(browser, token=guest.token)
    assert done.status_code == 303
    assert done.headers["location"] == f"/inbox/{guest.recipient_id}/read"
    with runtime.db.begin() as session:
        assert session.get(Recipient, guest.recipient_id).opened_at is not None
    read = await browser.get(done.headers["location"])
    assert read.status_code == 200 and "Your appointment" in read.text
    # The link itself now opens too, for this account.
    assert (await browser.get(f"/m/{guest.token}/read")).status_code == 200
    assert "You are logged in" in (await browser.get(f"/m/{guest.token}")).text
    # Guests get no code for an account recipient.
    guest_browser = GuestBrowser(client)
    await guest_browser.get(f"/m/{guest.token}")
    asked = await guest_browser.post(f"/m/{guest.token}/code")
    assert asked.status_code == 303 and asked.headers["location"] == f"/m/{guest.token}"


async def test_disabled_account_session_ends(runtime: Runtime, browser, dora):
    await enrol(browser)
    assert (await browser.get("/inbox")).status_code == 200
    with runtime.db.begin() as session:
        session.execute(update(Account).where(Account.id == dora).values(active=False))
    assert (await browser.get("/inbox")).status_code == 303


async def test_logout(runtime: Runtime, browser, dora):
    await enrol(browser)
    inbox = await browser.get("/inbox")
    assert 'action="/logout"' in inbox.text
    out = await browser.post("/logout")
    assert out.status_code == 303 and out.headers["location"] == "/"
    assert "sealgate_session" not in browser.cookies
    with runtime.db.begin() as session:
        assert session.scalars(select(PortalSession)).all() == []

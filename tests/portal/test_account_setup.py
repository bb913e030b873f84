"""Setting up an account from a link: invitation -> password -> TOTP -> logged in; resets."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.directory import LinkPurpose, add_account, create_org, reset_second_factor
from sealgate.portal import send_account_link
from sealgate.portal.headers import PAGE_POLICY
from sealgate.store import Account, PortalSession, utcnow
from tests.portal.account import DORA, DORA_PASSWORD, enrol, enrolment_of, log_in, totp_now
from tests.portal.account_mail import latest_link
from tests.portal.guest import GuestBrowser
from tests.portal.recipients import Spec, store_for

NEW_PASSWORD = "purple elephant reading maps"


def invite(rt: Runtime, email: str = DORA, purpose: LinkPurpose = LinkPurpose.INVITE) -> str:
    """An account (made if missing) and a link mailed to it; returns the link's path."""
    with rt.db.begin() as session:
        account = session.scalars(select(Account).where(Account.email == email)).one_or_none()
        if account is None:
            create_org(session, "Clinic", [email.rpartition("@")[2]])
            account_id = add_account(session, email, "Clinic", None, "Dora Dekker").id
        else:
            account_id = account.id
        send_account_link(session, rt, account_id, purpose, utcnow())
    return latest_link(rt, email)


async def choose(browser: GuestBrowser, path: str, password: str, confirm: str | None = None):
    await browser.get(path)
    return await browser.post(
        path, {"password": password, "confirm": password if confirm is None else confirm}
    )


def account_of(rt: Runtime, email: str = DORA) -> Account:
    with rt.db.begin() as session:
        return session.scalars(select(Account).where(Account.email == email)).one()


async def test_invitation_sets_password_enrols_and_logs_in(runtime: Runtime, browser):
    path = invite(runtime)
    form = await browser.get(path)
    assert form.status_code == 200 and "Set up your account" in form.text
    assert form.headers["content-security-policy"] == PAGE_POLICY
    assert form.headers["referrer-policy"] == "no-referrer"
    assert 'name="csrf_token"' in form.text and 'autocomplete="new-password"' in form.text
    assert DORA in form.text
    done = await choose(browser, path, NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/account/enrol"
    assert "sealgate_session" not in browser.cookies and "sealgate_login" in browser.cookies
    page = await browser.get("/account/enrol")
    assert page.status_code == 200 and "Set up your second step" in page.text
    shown = enrolment_of(page)
    assert len(shown.recovery_codes) == 10
    # A GET changes nothing: reloading shows the same key and the same codes.
    assert enrolment_of(await browser.get("/account/enrol")) == shown
    confirmed = await browser.post("/login/enrol", {"code": totp_now(shown.secret)})
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/inbox"
    inbox = await browser.get("/inbox")
    assert inbox.status_code == 200 and DORA in inbox.text
    # The link was spent; the new password and a recovery code log in elsewhere.
    assert (await browser.get(path)).status_code == 404
    other = GuestBrowser(browser.client)
    assert (await log_in(other, DORA, NEW_PASSWORD)).headers["location"] == "/login/totp"
    await other.get("/login/totp")
    by_code = await other.post("/login/totp", {"code": shown.recovery_codes[0]})
    assert by_code.status_code == 303 and by_code.headers["location"] == "/inbox"


async def test_refused_passwords_redirect_back_with_the_reason(runtime: Runtime, browser):
    path = invite(runtime)
    for password, confirm, sentence in (
        ("short", None, "at least 12 characters"),
        ("qazwsxedcrfv", None, "most common passwords"),
        (DORA, None, "may not be your email address"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "The two passwords are not the same."),
    ):
        refused = await choose(browser, path, password, confirm)
        assert refused.status_code == 303, password
        assert refused.headers["location"].startswith(f"{path}?error=")
        shown = await browser.get(refused.headers["location"])
        assert shown.status_code == 200 and sentence in shown.text
        assert 'role="alert"' in shown.text
    assert account_of(runtime).password_hash is None
    # Still usable after the refusals.
    assert (await choose(browser, path, NEW_PASSWORD)).headers["location"] == "/account/enrol"


async def test_the_reason_is_shown_in_the_page_language(runtime: Runtime, browser):
    path = invite(runtime)
    for language, sentence in (
        ("nl", "Het wachtwoord moet minstens 12 tekens hebben."),
        ("de", "Das Passwort muss mindestens 12 Zeichen haben."),
    ):
        refused = await choose(browser, path, "short")
        location = refused.headers["location"]
        shown = await browser.get(location, headers={"accept-language": language})
        assert shown.status_code == 200 and sentence in shown.text, language
    mismatch = await choose(browser, path, NEW_PASSWORD, NEW_PASSWORD + "x")
    shown = await browser.get(mismatch.headers["location"], headers={"accept-language": "nl"})
    assert "De twee wachtwoorden zijn niet hetzelfde." in shown.text


async def test_a_link_sets_one_password_even_when_posted_twice_at_once(runtime, client):
    path = invite(runtime)
    first, second = GuestBrowser(client), GuestBrowser(client)
    await first.get(path)
    await second.get(path)
    answers = await asyncio.gather(
        first.post(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
        second.post(
            path, {"password": "another fine passphrase", "confirm": "another fine passphrase"}
        ),
    )
    assert sorted(a.status_code for a in answers) == [303, 404]


async def test_forms_need_csrf(runtime: Runtime, client, browser):
    path = invite(runtime)
    await browser.get(path)
    forged = await client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert forged.status_code == 403
    assert account_of(runtime).password_hash is None


async def test_enrol_page_needs_a_ticket(browser):
    answer = await browser.get("/account/enrol")
    assert answer.status_code == 303 and answer.headers["location"] == "/login"


async def test_unknown_link_is_not_valid(browser):
    assert (await browser.get("/account/" + "A" * 43)).status_code == 404


async def test_reset_replaces_the_password_and_still_asks_for_the_code(runtime, browser, client):
    from tests.portal.recipients import add_reader

    add_reader(runtime, DORA, DORA_PASSWORD)
    enrolled, _ = await enrol(browser)
    assert (await browser.get("/inbox")).status_code == 200
    path = invite(runtime, purpose=LinkPurpose.RESET)
    fresh = GuestBrowser(client)
    form = await fresh.get(path)
    assert "Choose a new password" in form.text
    done = await choose(fresh, path, NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/login/totp"
    # The old session ended with the old password.
    assert (await browser.get("/inbox")).status_code == 303
    with runtime.db.begin() as session:
        assert session.scalars(select(PortalSession)).all() == []
    await fresh.get("/login/totp")
    logged_in = await fresh.post("/login/totp", {"code": totp_now(enrolled.secret, 1)})
    assert logged_in.status_code == 303 and logged_in.headers["location"] == "/inbox"
    # The old password no longer works; the new one does.
    again = GuestBrowser(client)
    assert (await log_in(again, DORA, DORA_PASSWORD)).headers["location"] == "/login?error=failed"
    assert (await log_in(again, DORA, NEW_PASSWORD)).headers["location"] == "/login/totp"


async def test_after_reset_2fa_the_next_login_enrols_again(runtime, browser, client):
    from tests.portal.recipients import add_reader

    add_reader(runtime, DORA, DORA_PASSWORD)
    first, _ = await enrol(browser)
    with runtime.db.begin() as session:
        reset_second_factor(session, DORA)
    assert (await browser.get("/inbox")).status_code == 303
    again = GuestBrowser(client)
    page = await again.follow(await log_in(again, DORA, DORA_PASSWORD))
    assert page.status_code == 200 and "Set up your second step" in page.text
    assert enrolment_of(page).secret != first.secret


async def test_a_recipient_without_set_up_account_is_invited_then_reads(runtime, browser, sender):
    with runtime.db.begin() as session:
        create_org(session, "Clinic", ["clinic.example"])
        add_account(session, DORA, "Clinic", None, "Dora Dekker")
    guest = store_for(runtime, sender, [Spec(DORA, "account")])[DORA]
    start = await browser.get(f"/m/{guest.token}")
    assert "not set up yet" in start.text and f'action="/m/{guest.token}/invite"' in start.text
    assert 'autocomplete="current-password"' not in start.text
    asked = await browser.post(f"/m/{guest.token}/invite")
    assert asked.status_code == 303 and asked.headers["location"] == f"/m/{guest.token}/invited"
    sent = await browser.get(asked.headers["location"])
    assert sent.status_code == 200 and "d***a@clinic.example" in sent.text
    path = latest_link(runtime, DORA)
    assert (await choose(browser, path, NEW_PASSWORD)).headers["location"] == "/account/enrol"
    shown = enrolment_of(await browser.get("/account/enrol"))
    done = await browser.post("/login/enrol", {"code": totp_now(shown.secret)})
    assert done.status_code == 303
    assert done.headers["location"] == f"/inbox/{guest.recipient_id}/read"
    read = await browser.get(done.headers["location"])
    assert read.status_code == 200 and "Your appointment" in read.text
    # Set up now: the start page offers the login.
    other = GuestBrowser(browser.client)
    assert "Log in to read it" in (await other.get(f"/m/{guest.token}")).text


async def test_the_login_page_links_to_forgot(browser):
    page = await browser.get("/login")
    assert re.search(r'<a href="/forgot">Forgot your password\?</a>', page.text)


async def test_enrol_page_never_shows_codes_that_would_not_work(runtime, browser):
    # A login's enrolment is shown by the GET page too (POST-redirect-GET), with its codes;
    # once the stored codes are other ones, the page shows the same key but no codes.
    from sqlalchemy import update

    from tests.portal.recipients import add_reader

    add_reader(runtime, DORA, DORA_PASSWORD)
    started = enrolment_of(await browser.follow(await log_in(browser, DORA, DORA_PASSWORD)))
    assert len(started.recovery_codes) == 10
    with runtime.db.begin() as session:
        session.execute(update(Account).values(recovery_codes=["other-hashes"]))
    again = enrolment_of(await browser.get("/account/enrol"))
    assert again.secret == started.secret and again.recovery_codes == []

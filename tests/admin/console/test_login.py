"""Console login over real HTTP: password + TOTP, refusals, the cookie, the throttle, logout.

Every refused attempt answers 303 to /admin/login?error=<key> (POST-redirect-GET), and the
form's GET words it next to the fields; a lockout carries its end (`until`) for the wait.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from sealgate.audit import entries
from sealgate.bootstrap import Runtime
from sealgate.store import AdminSession, utcnow
from tests.admin.console.console import World, console_browser, log_in
from tests.lab.axe import assert_accessible
from tests.lab.browser import CHROMIUM, chromium
from tests.portal.guest import GuestBrowser

WRONG = "The email address, password or code is not right."


async def refused_to(browser: GuestBrowser, answer: httpx.Response, key: str) -> str:
    """`answer` is the 303 to the form with `key`; returns the form's text, with its error."""
    assert answer.status_code == 303, (answer.status_code, answer.text[:300])
    location = answer.headers["location"]
    assert location.split("&")[0] == f"/admin/login?error={key}"
    assert "sealgate_admin" not in answer.headers.get("set-cookie", "")
    page = await browser.get(location)
    assert page.status_code == 200
    alert = re.search(r'<p class="error" role="alert" id="login-error">([^<]*)</p>', page.text)
    assert alert, page.text
    assert 'aria-describedby="login-error"' in page.text
    assert page.text.count('role="alert"') == 1  # not again in the console's base page
    return alert.group(1)


def _logins(rt: Runtime) -> list[tuple[str, str, str | None, str]]:
    with rt.db.begin() as session:
        return [
            (e.actor_id, e.outcome, e.organisation, e.details)
            for e in entries(session, action="admin.login")
        ]


async def test_an_admin_logs_in_with_password_and_totp(
    runtime: Runtime, world: World, base_url: str
):
    async with console_browser(base_url) as browser:
        answer = await log_in(browser, world.hospital_admin)
        assert answer.status_code == 303 and answer.headers["location"] == "/admin"
        cookie = next(
            h for h in answer.headers.get_list("set-cookie") if h.startswith("sealgate_admin=")
        )
        assert "path=/admin" in cookie.lower()
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
        assert "secure" in cookie.lower() and "max-age" not in cookie.lower()
        page = await browser.get("/admin")
        assert page.status_code == 200
        assert "Messages per day and method" in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store"
    actor, outcome, org, details = _logins(runtime)[-1]
    assert (actor, outcome, org) == ("hanna@hospital.example", "ok", "Hospital")
    assert '"reason":"ok"' in details


async def test_a_wrong_code_or_password_gets_one_sentence(world: World, base_url: str):
    async with console_browser(base_url) as browser:
        await browser.get("/admin/login")
        wrong_code = await browser.post(
            "/admin/login",
            {
                "email": world.operator.email,
                "password": "admin password, long enough",
                "code": "000000",
            },
        )
        wrong_password = await log_in(browser, world.operator, password="not it")
        unknown = await browser.post(
            "/admin/login",
            {"email": "who@hospital.example", "password": "x", "code": "123456"},
        )
        for answer in (wrong_code, wrong_password, unknown):
            assert await refused_to(browser, answer, "failed") == WRONG
        missing = await browser.post(
            "/admin/login", {"email": world.operator.email, "password": "x", "code": ""}
        )
        assert await refused_to(browser, missing, "missing") == "Please fill in all three fields."
        plain = await browser.get("/admin/login")
        assert 'id="login-error"' not in plain.text and "aria-describedby" not in plain.text
        assert (await browser.get("/admin")).headers["location"] == "/admin/login"


async def test_an_account_without_a_role_is_refused(runtime: Runtime, world: World, base_url: str):
    async with console_browser(base_url) as browser:
        answer = await log_in(browser, world.no_role)
        assert answer.status_code == 403
        assert "This account holds no admin role" in answer.text
        assert "sealgate_admin" not in browser.cookies
        assert (await browser.get("/admin")).status_code == 303
    assert _logins(runtime)[-1][:2] == ("nora@hospital.example", "denied")


async def test_an_account_without_a_second_factor_is_sent_to_set_one_up(
    runtime: Runtime, world: World, base_url: str
):
    from tests.admin.console.console import add_admin

    unenrolled = add_admin(runtime, "una@hospital.example", "Hospital", "auditor", enrolled=False)
    async with console_browser(base_url) as browser:
        answer = await log_in(browser, unenrolled)
        assert "no second step yet" in await refused_to(browser, answer, "no_second_factor")


async def test_a_portal_session_does_not_open_the_console(world: World, base_url: str):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.operator)
        secret = browser.cookies.pop("sealgate_admin")
        browser.cookies["sealgate_session"] = secret
        assert (await browser.get("/admin")).headers["location"] == "/admin/login"


async def test_failed_logins_lock_the_address(world: World, base_url: str):
    async with console_browser(base_url) as browser:
        keys = []
        for _ in range(10):
            answer = await log_in(browser, world.auditor, password="wrong password")
            assert answer.status_code == 303
            keys.append(answer.headers["location"].split("&")[0].partition("error=")[2])
        assert keys[:9] == ["failed"] * 9 and keys[9] == "locked"
        locked = await log_in(browser, world.auditor)
        wait = int(locked.headers["retry-after"])
        assert 0 < wait <= 15 * 60
        until = int(locked.headers["location"].partition("&until=")[2])
        assert abs(until - (time.time() + wait)) < 5
        sentence = await refused_to(browser, locked, "locked")
        assert (
            sentence == "Too many failed log-ins for this address. Please try again in 15 minutes."
        )
        # Reloading words the wait now; the end is the throttle's, an edited URL cannot
        # lengthen it, and once the end has passed the form says the attempt may be made.
        later = await browser.get(f"/admin/login?error=locked&until={until - 14 * 60}")
        assert "Please try again in 1 minute." in later.text
        forged = await browser.get(f"/admin/login?error=locked&until={until + 10**6}")
        assert "Please try again in 15 minutes." in forged.text
        for over in (str(until - 16 * 60), "0", "soon", ""):
            page = await browser.get(f"/admin/login?error=locked&until={over}")
            assert WRONG in page.text
        assert 'id="login-error"' not in (await browser.get("/admin/login?error=x")).text


async def test_the_lockout_is_worded_in_dutch_and_german(world: World, base_url: str):
    until = int(time.time()) + 120
    async with console_browser(base_url) as browser:
        dutch = await browser.get(
            f"/admin/login?error=locked&until={until}", headers={"accept-language": "nl"}
        )
        german = await browser.get(
            f"/admin/login?error=locked&until={until}", headers={"accept-language": "de"}
        )
    assert "2 minuten" in dutch.text and 'lang="nl"' in dutch.text
    assert "2 Minuten" in german.text and 'lang="de"' in german.text


async def test_logout_ends_the_session_and_idle_sessions_end(
    runtime: Runtime, world: World, base_url: str
):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.operator)
        assert (await browser.get("/admin")).status_code == 200
        out = await browser.post("/admin/logout")
        assert out.status_code == 303 and out.headers["location"] == "/admin/login"
        assert (await browser.get("/admin")).status_code == 303
        with runtime.db.begin() as session:
            assert session.scalars(select(AdminSession)).all() == []

        await log_in(browser, world.hospital_admin)
        assert (await browser.get("/admin")).status_code == 200
        with runtime.db.begin() as session:
            session.execute(update(AdminSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        assert (await browser.get("/admin")).headers["location"] == "/admin/login"
    with runtime.db.begin() as session:
        assert [e.actor_id for e in entries(session, action="admin.logout")] == [
            "opal@hospital.example"
        ]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")
def test_the_refused_form_in_a_browser_passes_axe(world: World, base_url: str):
    """Chromium posts a wrong password, lands on the form with its error, and the form (and
    its lockout wording) passes axe; reloading the page posts nothing."""

    with chromium() as browser:
        page = browser.new_context().new_page()
        page.goto(f"{base_url}/admin/login")
        page.get_by_label("Email address").fill(world.operator.email)
        page.get_by_label("Password").fill("not the password")
        page.get_by_label("Code from the app").fill("000000")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base_url}/admin/login?error=failed")
        assert page.get_by_role("alert").inner_text() == WRONG
        assert_accessible(page, "the console's login after a wrong password")
        page.reload()
        assert page.url == f"{base_url}/admin/login?error=failed"
        page.goto(f"{base_url}/admin/login?error=locked&until={int(time.time()) + 300}")
        assert "5 minutes" in page.get_by_role("alert").inner_text()
        assert_accessible(page, "the console's login while the address is locked")

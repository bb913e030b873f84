"""Console login over real HTTP: password + TOTP, refusals, the cookie, the throttle, logout."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from sealgate.audit import entries
from sealgate.bootstrap import Runtime
from sealgate.store import AdminSession, utcnow
from tests.admin.console.console import World, console_browser, log_in


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
            assert answer.status_code == 400
            assert "The email address, password or code is not right." in answer.text
            assert "sealgate_admin" not in answer.headers.get("set-cookie", "")
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
        assert answer.status_code == 400
        assert "no second step yet" in answer.text


async def test_a_portal_session_does_not_open_the_console(world: World, base_url: str):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.operator)
        secret = browser.cookies.pop("sealgate_admin")
        browser.cookies["sealgate_session"] = secret
        assert (await browser.get("/admin")).headers["location"] == "/admin/login"


async def test_failed_logins_lock_the_address(world: World, base_url: str):
    async with console_browser(base_url) as browser:
        statuses = []
        for _ in range(10):
            answer = await log_in(browser, world.auditor, password="wrong password")
            statuses.append(answer.status_code)
        assert statuses[:9] == [400] * 9 and statuses[9] == 429
        locked = await log_in(browser, world.auditor)
        assert locked.status_code == 429
        assert int(locked.headers["retry-after"]) > 0
        assert "Too many failed log-ins" in locked.text


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

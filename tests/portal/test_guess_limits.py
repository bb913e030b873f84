"""Guessing limits under parallel requests: 50 guesses at once over real HTTP to uvicorn.

Issue 8 item 1. Before, each parallel guess was judged against a counter read before any of
them was written, so 40-60 wrong access codes left the counter at 4 and the right code still
opened the message, and 12-15 wrong emailed codes were judged instead of 5. Now every attempt
is counted by one conditional UPDATE before it is judged: of 50 parallel guesses exactly the
limit are judged (each "N attempts left" appears once), the lock then holds, and the right
code no longer opens. The same on SQLite and PostgreSQL (SEALGATE_TEST_DATABASE).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.portal.codes import ACCESS_CODE_ATTEMPTS
from sealgate.portal.throttle import LOGIN_MAX_FAILURES
from sealgate.store import LoginAttempt, Recipient, SmsQuota, VerificationCode
from tests.portal.account import DORA, DORA_PASSWORD, enrol, log_in, totp_now
from tests.portal.guest import GuestBrowser, latest_code
from tests.portal.recipients import PHONE, Spec, add_reader, outbox, store_for
from tests.portal.served import served_portal

PARALLEL = 50
BOB = "bob@example.org"


@pytest.fixture
async def http(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the portal served over loopback TCP (not in-process ASGI)."""
    with served_portal(runtime) as url:
        limits = httpx.Limits(max_connections=PARALLEL + 5)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
            yield client


async def guess_at_once(browser: GuestBrowser, path: str, data: dict[str, str]) -> list:
    """POST the same form PARALLEL times at once, with this browser's cookies and token."""
    headers = {"cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items())}
    form = {"csrf_token": browser.csrf, **data}
    client = browser.client
    return list(
        await asyncio.gather(
            *(client.post(path, data=form, headers=headers) for _ in range(PARALLEL))
        )
    )


def places(responses: list) -> Counter:  # type: ignore[type-arg]
    """Where the refusals sent the browser: every one is a 303 (POST-redirect-GET)."""
    assert {response.status_code for response in responses} == {303}
    return Counter(response.headers["location"] for response in responses)


async def test_parallel_emailed_codes_are_judged_five_times(runtime: Runtime, http, sender):
    """Issue 8 item 1: 50 wrong emailed codes at once: 5 judged, then the right one fails."""
    guest = store_for(runtime, sender, [Spec(BOB)])[BOB]
    browser = GuestBrowser(http)
    assert (await browser.ask_for_code(guest.token)).status_code == 303
    await browser.get(f"/m/{guest.token}/verify")
    code = latest_code(runtime, guest.recipient_id)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    answers = await guess_at_once(browser, f"/m/{guest.token}/verify", {"code": wrong})
    form = f"/m/{guest.token}/verify"
    seen = places(answers)
    assert seen == {f"{form}?error=wrong": 4, f"{form}?error=exhausted": PARALLEL - 4}, seen
    with runtime.db.begin() as session:
        row = session.scalars(
            select(VerificationCode).where(VerificationCode.recipient_id == guest.recipient_id)
        ).one()
        assert row.attempts == 5
    right = await browser.post_and_follow(f"/m/{guest.token}/verify", {"code": code})
    assert "Too many wrong codes" in right.text
    assert (await browser.get(f"/m/{guest.token}/read")).status_code != 200


async def test_parallel_access_codes_are_judged_five_times(runtime: Runtime, http, sender):
    """Issue 8 item 1: 50 wrong access codes at once: 5 judged, then the message is locked."""
    spec = Spec(BOB, "access_code", access_code="Tulip-2026", hint="the flower")
    guest = store_for(runtime, sender, [spec])[BOB]
    browser = GuestBrowser(http)
    await browser.get(f"/m/{guest.token}")
    path = f"/m/{guest.token}/access-code"
    answers = await guess_at_once(browser, path, {"access_code": "Rose-2026"})
    start = f"/m/{guest.token}"
    seen = places(answers)
    assert seen == {f"{start}?error=wrong": 4, start: PARALLEL - 4}, seen
    with runtime.db.begin() as session:
        recipient = session.get(Recipient, guest.recipient_id)
        assert recipient.access_code_attempts == ACCESS_CODE_ATTEMPTS
    right = await browser.post_and_follow(path, {"access_code": "Tulip-2026"})
    assert right.status_code == 429 and "can no longer be opened" in right.text
    assert (await browser.get(f"/m/{guest.token}/read")).status_code != 200


def counted_logins(rt: Runtime) -> int:
    with rt.db.begin() as session:
        return (
            session.scalar(select(LoginAttempt.attempts).where(LoginAttempt.address == DORA)) or 0
        )


async def test_parallel_passwords_are_judged_ten_times(runtime: Runtime, http):
    """Issue 8 item 1: 50 wrong passwords at once: 10 judged, then the right one is locked."""
    add_reader(runtime, DORA, DORA_PASSWORD)
    browser = GuestBrowser(http)
    await browser.get("/login")
    answers = await guess_at_once(browser, "/login", {"email": DORA, "password": "wrong"})
    seen = places(answers)
    # Exactly ten were counted (and so judged: nothing is judged uncounted). A judged wrong
    # password is answered with the lockout once the count is full, which it may be before
    # argon2 finishes for the earlier ones; so plain failures are at most nine.
    failed, locked = "/login?error=failed", "/login?error=locked"
    assert set(seen) <= {failed, locked} and seen[failed] <= LOGIN_MAX_FAILURES - 1, seen
    assert counted_logins(runtime) == LOGIN_MAX_FAILURES
    right = await log_in(browser, DORA, DORA_PASSWORD)
    assert right.headers["location"] == locked
    assert "Too many failed log-ins" in (await browser.follow(right)).text


async def test_parallel_totp_codes_are_judged_ten_times(runtime: Runtime, http):
    """Issue 8 item 1: 50 wrong TOTP codes at once: 10 judged, then the right one is locked."""
    add_reader(runtime, DORA, DORA_PASSWORD)
    browser = GuestBrowser(http)
    enrolled, confirmed = await enrol(browser)
    assert confirmed.status_code == 303
    await browser.post("/logout")
    second = GuestBrowser(http)
    assert (await log_in(second, DORA, DORA_PASSWORD)).status_code == 303
    await second.get("/login/totp")
    right_code = totp_now(enrolled.secret, steps_ahead=1)
    wrong = f"{(int(right_code) + 1) % 1_000_000:06d}"
    answers = await guess_at_once(second, "/login/totp", {"code": wrong})
    seen = places(answers)
    wrong_at, locked_at = "/login/totp?error=wrong", "/login/totp?error=locked"
    assert seen == {wrong_at: LOGIN_MAX_FAILURES - 1, locked_at: PARALLEL - 9}, seen
    assert counted_logins(runtime) == LOGIN_MAX_FAILURES
    right = await second.post_and_follow("/login/totp", {"code": right_code})
    assert "Too many failed log-ins" in right.text


async def test_parallel_sms_sends_hold_the_org_hourly_cap(sender_factory):
    """Issue 8 item 1: 50 SMS codes asked at once for one organisation send exactly its cap."""
    rt, sender = sender_factory(SEALGATE_SMS__ORG_HOURLY_LIMIT="3")
    specs = [Spec(f"r{n}@example.org", "sms", phone=PHONE) for n in range(PARALLEL)]
    guests = list(store_for(rt, sender, specs).values())
    with served_portal(rt) as url:
        limits = httpx.Limits(max_connections=PARALLEL + 5)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
            browser = GuestBrowser(client)
            await browser.get(f"/m/{guests[0].token}")
            headers = {"cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items())}
            form = {"csrf_token": browser.csrf}
            answers = await asyncio.gather(
                *(
                    client.post(f"/m/{guest.token}/code", data=form, headers=headers)
                    for guest in guests
                )
            )
    # Sent: on to the form; capped: to the form that says so (POST-redirect-GET).
    seen = Counter(answer.headers["location"].partition("?")[2] for answer in answers)
    assert seen == {"": 3, "error=sms_cap": PARALLEL - 3}, seen
    assert len(outbox(rt)) == 3
    with rt.db.begin() as session:
        assert session.scalars(select(SmsQuota.sends)).one() == 3

"""Asking for a code, typing it, and the limits on both."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.portal.verify import CODE_KEY_PURPOSE
from sealgate.store import OutboundJob, PortalSession, Recipient, VerificationCode
from tests.portal.guest import GuestBrowser, code_in, code_mails, latest_code, shift_code


def code_row(rt: Runtime, recipient_id: str) -> VerificationCode | None:
    with rt.db.begin() as session:
        return session.scalars(
            select(VerificationCode).where(VerificationCode.recipient_id == recipient_id)
        ).one_or_none()


async def test_asking_for_a_code_queues_a_code_mail(runtime: Runtime, browser, stored):
    response = await browser.ask_for_code(stored.bob.token)
    assert response.status_code == 303
    assert response.headers["location"] == f"/m/{stored.bob.token}/verify"
    [mail] = code_mails(runtime, stored.bob.recipient_id)
    code = code_in(mail)
    assert len(code) == 6 and code.isdigit()
    assert mail["To"] == "bob@example.org"
    assert mail["From"].addresses[0].addr_spec == "noreply@gateway.example"
    assert "Alice Arts" in mail.get_body(preferencelist=("plain",)).get_content()
    with runtime.db.begin() as session:
        job = session.scalars(select(OutboundJob)).one()
    assert (job.kind, job.rcpt_to, job.mail_from, job.state) == (
        "code",
        "bob@example.org",
        "noreply@gateway.example",
        "incoming",
    )
    assert job.expires_at - job.created_at == timedelta(minutes=10)
    row = code_row(runtime, stored.bob.recipient_id)
    key = runtime.subkey(CODE_KEY_PURPOSE)
    expected = hmac.new(key, f"{stored.bob.recipient_id}:{code}".encode(), hashlib.sha256)
    assert row.code_hash == expected.hexdigest() and code not in row.code_hash
    assert (row.attempts, row.sends) == (0, 1)
    assert row.expires_at - row.last_sent_at == timedelta(seconds=600)


async def test_code_form_is_accessible_on_a_phone(browser: GuestBrowser, stored):
    await browser.ask_for_code(stored.bob.token)
    page = await browser.get(f"/m/{stored.bob.token}/verify")
    assert page.status_code == 200
    assert '<label for="code">' in page.text
    assert 'autocomplete="one-time-code"' in page.text and 'inputmode="numeric"' in page.text
    assert "b***b@example.org" in page.text


async def test_correct_code_opens_a_session(runtime: Runtime, browser: GuestBrowser, stored):
    await browser.ask_for_code(stored.bob.token)
    code = latest_code(runtime, stored.bob.recipient_id)
    response = await browser.post(
        f"/m/{stored.bob.token}/verify", {"code": f"{code[:3]} {code[3:]}"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/m/{stored.bob.token}/read"
    [cookie] = [
        c for c in response.headers.get_list("set-cookie") if c.startswith("sealgate_session=")
    ]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path"} <= attributes
    # A browser-session cookie: it ends with the browser, whatever the server's timeouts.
    assert not {"max-age", "expires"} & attributes
    assert "samesite=lax" in cookie.lower() and "path=/" in cookie.lower()
    secret = browser.cookies["sealgate_session"]
    assert len(secret) >= 43
    with runtime.db.begin() as session:
        [stored_session] = session.scalars(select(PortalSession)).all()
        recipient = session.get(Recipient, stored.bob.recipient_id)
        other = session.get(Recipient, stored.carol.recipient_id)
    assert stored_session.session_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert stored_session.recipient_id == stored.bob.recipient_id
    # The idle deadline (session_idle_timeout), not the absolute one (session_ttl).
    assert stored_session.expires_at - stored_session.created_at == timedelta(seconds=900)
    assert recipient.opened_at is not None and other.opened_at is None
    assert code_row(runtime, stored.bob.recipient_id) is None  # a code works once
    page = await browser.get(f"/m/{stored.bob.token}/read")
    assert page.status_code == 200


async def test_used_code_cannot_be_used_again(runtime: Runtime, browser: GuestBrowser, stored):
    await browser.ask_for_code(stored.bob.token)
    code = latest_code(runtime, stored.bob.recipient_id)
    assert (await browser.post(f"/m/{stored.bob.token}/verify", {"code": code})).status_code == 303
    refused = await browser.post(f"/m/{stored.bob.token}/verify", {"code": code})
    assert refused.headers["location"] == f"/m/{stored.bob.token}/verify?error=no_code"
    again = await browser.follow(refused)
    assert again.status_code == 200
    assert "no code to check" in again.text
    # The complaint: it never also says "We mailed a code".
    assert "We mailed a code" not in again.text


async def test_wrong_code_says_how_many_attempts_are_left(runtime, browser, stored):
    await browser.ask_for_code(stored.bob.token)
    code = latest_code(runtime, stored.bob.recipient_id)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = await browser.post(f"/m/{stored.bob.token}/verify", {"code": wrong})
    assert refused.status_code == 303
    assert refused.headers["location"] == f"/m/{stored.bob.token}/verify?error=wrong"
    response = await browser.follow(refused)
    assert response.status_code == 200
    assert "That code is wrong. 4 attempts left." in response.text
    assert code_row(runtime, stored.bob.recipient_id).attempts == 1
    assert "sealgate_session" not in browser.cookies


async def test_exhausted_attempts_need_a_new_code(runtime: Runtime, browser, stored):
    token, recipient_id = stored.bob.token, stored.bob.recipient_id
    await browser.ask_for_code(token)
    code = latest_code(runtime, recipient_id)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        response = await browser.post_and_follow(f"/m/{token}/verify", {"code": wrong})
        assert f"{left} attempt{'s' if left > 1 else ''} left" in response.text
    fifth = await browser.post(f"/m/{token}/verify", {"code": wrong})
    assert fifth.headers["location"] == f"/m/{token}/verify?error=exhausted"
    assert "ask for a new code" in (await browser.follow(fifth)).text
    # The earlier "wrong" page, reloaded (or reached with back), says how things are now.
    assert "ask for a new code" in (await browser.get(f"/m/{token}/verify?error=wrong")).text
    # Even the right code is refused now.
    late = await browser.post(f"/m/{token}/verify", {"code": code})
    assert late.headers["location"] == f"/m/{token}/verify?error=exhausted"
    assert "sealgate_session" not in browser.cookies
    # A new code (after the resend interval) resets the attempts.
    shift_code(runtime, recipient_id, last_sent_at=timedelta(seconds=31))
    assert (await browser.post(f"/m/{token}/code")).status_code == 303
    new = latest_code(runtime, recipient_id)
    assert (await browser.post(f"/m/{token}/verify", {"code": new})).status_code == 303


async def test_expired_code_is_refused(runtime: Runtime, browser: GuestBrowser, stored):
    await browser.ask_for_code(stored.bob.token)
    code = latest_code(runtime, stored.bob.recipient_id)
    shift_code(runtime, stored.bob.recipient_id, expires_at=timedelta(seconds=601))
    refused = await browser.post(f"/m/{stored.bob.token}/verify", {"code": code})
    assert refused.headers["location"] == f"/m/{stored.bob.token}/verify?error=expired"
    response = await browser.follow(refused)
    assert "This code has expired" in response.text
    assert "sealgate_session" not in browser.cookies


async def test_code_before_asking_is_refused(browser: GuestBrowser, stored):
    await browser.get(f"/m/{stored.bob.token}")
    response = await browser.post_and_follow(f"/m/{stored.bob.token}/verify", {"code": "123456"})
    assert response.status_code == 200
    assert "Ask for a code first" in response.text


async def test_malformed_code_costs_no_attempt(runtime: Runtime, browser, stored):
    await browser.ask_for_code(stored.bob.token)
    for typed in ("12345", "abcdef", "1234567", "١٢٣٤٥٦"):
        refused = await browser.post(f"/m/{stored.bob.token}/verify", {"code": typed})
        assert refused.headers["location"] == f"/m/{stored.bob.token}/verify?error=digits"
        assert "The code has 6 digits" in (await browser.follow(refused)).text
    assert code_row(runtime, stored.bob.recipient_id).attempts == 0


async def test_resend_too_soon_is_refused(runtime: Runtime, browser: GuestBrowser, stored):
    await browser.ask_for_code(stored.bob.token)
    refused = await browser.post(f"/m/{stored.bob.token}/code")
    assert refused.headers["location"] == f"/m/{stored.bob.token}/verify?error=wait"
    assert 1 <= int(refused.headers["retry-after"]) <= 30
    again = await browser.follow(refused)
    assert "Please wait" in again.text
    assert len(code_mails(runtime, stored.bob.recipient_id)) == 1
    # The page still lets the guest type the code they have.
    assert 'name="code"' in again.text


async def test_resend_replaces_the_code_up_to_the_limit(runtime: Runtime, browser, stored):
    token, recipient_id = stored.bob.token, stored.bob.recipient_id
    await browser.ask_for_code(token)
    first = latest_code(runtime, recipient_id)
    for sends in (2, 3):
        shift_code(runtime, recipient_id, last_sent_at=timedelta(seconds=31))
        assert (await browser.post(f"/m/{token}/code")).status_code == 303
        assert code_row(runtime, recipient_id).sends == sends
    assert len(code_mails(runtime, recipient_id)) == 3
    shift_code(runtime, recipient_id, last_sent_at=timedelta(seconds=31))
    refused = await browser.post(f"/m/{token}/code")
    assert refused.headers["location"] == f"/m/{token}/verify?error=too_many"
    assert "most codes allowed" in (await browser.follow(refused)).text
    assert len(code_mails(runtime, recipient_id)) == 3
    # Only the newest code works.
    latest = latest_code(runtime, recipient_id)
    if first != latest:
        stale = await browser.post(f"/m/{token}/verify", {"code": first})
        assert stale.headers["location"] == f"/m/{token}/verify?error=wrong"
    # Once the last code has expired, a new window starts.
    shift_code(
        runtime,
        recipient_id,
        expires_at=timedelta(seconds=601),
        last_sent_at=timedelta(seconds=601),
    )
    assert (await browser.post(f"/m/{token}/code")).status_code == 303
    assert code_row(runtime, recipient_id).sends == 1


async def test_login_rotates_the_session(runtime: Runtime, browser: GuestBrowser, stored):
    await browser.sign_in(runtime, stored.bob.token, stored.bob.recipient_id)
    first = browser.cookies["sealgate_session"]
    await browser.sign_in(runtime, stored.carol.token, stored.carol.recipient_id)
    second = browser.cookies["sealgate_session"]
    assert first != second
    with runtime.db.begin() as session:
        hashes = set(session.scalars(select(PortalSession.session_hash)).all())
    assert hashes == {hashlib.sha256(second.encode()).hexdigest()}
    # The old cookie no longer opens bob's message.
    page = await browser.get(
        f"/m/{stored.bob.token}/read", headers={"cookie": f"sealgate_session={first}"}
    )
    assert page.status_code == 303


async def test_a_planted_session_cookie_does_not_survive_login(runtime, browser, stored):
    browser.cookies["sealgate_session"] = "planted-by-an-attacker"
    await browser.sign_in(runtime, stored.bob.token, stored.bob.recipient_id)
    assert browser.cookies["sealgate_session"] != "planted-by-an-attacker"

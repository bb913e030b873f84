"""The code page says a code was sent only when one can still be checked (issue 11)."""

from __future__ import annotations

from datetime import timedelta

from sealgate.bootstrap import Runtime
from tests.portal.guest import GuestBrowser, latest_code, shift_code

SENT = "We mailed a code to"
NEW_CODE = "A new code goes to <strong>b***b@example.org</strong>"


async def test_a_reused_code_does_not_claim_a_code_was_sent(
    runtime: Runtime, browser: GuestBrowser, stored
):
    await browser.ask_for_code(stored.bob.token)
    code = latest_code(runtime, stored.bob.recipient_id)
    assert (await browser.post(f"/m/{stored.bob.token}/verify", {"code": code})).status_code == 303
    again = await browser.post_and_follow(f"/m/{stored.bob.token}/verify", {"code": code})
    assert again.status_code == 200
    assert "There is no code to check" in again.text
    assert SENT not in again.text and NEW_CODE in again.text
    assert "Send me a new code" in again.text


async def test_an_expired_or_exhausted_code_does_not_either(
    runtime: Runtime, browser: GuestBrowser, stored
):
    token, recipient_id = stored.bob.token, stored.bob.recipient_id
    await browser.ask_for_code(token)
    code = latest_code(runtime, recipient_id)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    first = await browser.post_and_follow(f"/m/{token}/verify", {"code": wrong})
    # A wrong code leaves the code live: the page still says where it went.
    assert first.status_code == 200 and SENT in first.text and NEW_CODE not in first.text
    for _ in range(4):
        last = await browser.post_and_follow(f"/m/{token}/verify", {"code": wrong})
    assert "Too many wrong codes" in last.text
    assert SENT not in last.text and NEW_CODE in last.text
    shift_code(runtime, recipient_id, last_sent_at=timedelta(seconds=31))
    assert (await browser.post(f"/m/{token}/code")).status_code == 303
    shift_code(runtime, recipient_id, expires_at=timedelta(seconds=601))
    expired = await browser.post_and_follow(
        f"/m/{token}/verify", {"code": latest_code(runtime, recipient_id)}
    )
    assert expired.status_code == 200 and "This code has expired" in expired.text
    assert SENT not in expired.text and NEW_CODE in expired.text

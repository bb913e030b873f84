"""The sender's view in a real browser: Alice logs in with password + TOTP, goes from her inbox
to her sent messages, finds the message, withdraws it for Bob, and Bob's link at once shows
it withdrawn; Carol's still opens. What only a browser shows: the forms post under our CSP
and CSRF checks (Origin: null, Sec-Fetch-Site), and the confirmation page's checkbox is
required before anything is sent."""

from __future__ import annotations

import pyotp

from sealgate.bootstrap import Runtime
from tests.lab.browser import chromium, csp_violations, pytestmark
from tests.portal.conftest import BOB, CAROL, SUBJECT, StoredMessage
from tests.portal.sent import ALICE_PASSWORD, message_of, recipient_row, revoked_for_everyone
from tests.portal.test_browser import portal_url

__all__ = ["portal_url", "pytestmark"]


def test_sender_finds_the_message_and_withdraws_it_for_one_recipient(
    runtime: Runtime, sender, stored: StoredMessage, portal_url: str
):
    message_id = message_of(runtime, stored.bob.recipient_id)
    with chromium() as browser:
        page = browser.new_context().new_page()
        violations = csp_violations(page)
        page.goto(f"{portal_url}/login")
        page.get_by_label("Email address").fill(sender.address)
        page.get_by_label("Password").fill(ALICE_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("heading", name="Set up your second step").wait_for()
        secret = page.locator(".secret code").inner_text().replace(" ", "")
        page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Confirm and log in").click()
        page.wait_for_url(f"{portal_url}/inbox")

        page.get_by_role("link", name="Sent messages").click()
        page.wait_for_url(f"{portal_url}/sent")
        page.get_by_role("link", name=SUBJECT).click()
        page.wait_for_url(f"{portal_url}/sent/{message_id}")
        assert page.get_by_role("heading", name=SUBJECT).is_visible()
        page.get_by_role("button", name=f"Withdraw for {BOB}").click()
        page.wait_for_url(f"{portal_url}/sent/{message_id}?done=revoked")
        assert page.get_by_role("status").inner_text().startswith("The message was withdrawn")
        assert page.get_by_role("button", name=f"Undo the withdrawal for {BOB}").is_visible()
        assert page.get_by_role("button", name=f"Withdraw for {CAROL}").is_visible()
        assert recipient_row(runtime, stored.bob.recipient_id).revoked_at is not None
        assert recipient_row(runtime, stored.carol.recipient_id).revoked_at is None

        # Bob's link, in a browser of his own, is withdrawn at once; Carol's is not.
        bob = browser.new_context().new_page()
        bob.goto(f"{portal_url}/m/{stored.bob.token}")
        assert bob.get_by_role("heading", name="This message was withdrawn").is_visible()
        carol = browser.new_context().new_page()
        carol.goto(f"{portal_url}/m/{stored.carol.token}")
        assert carol.get_by_role("button", name="Send me a code").is_visible()

        # For everyone: the box must be ticked first.
        page.get_by_role("link", name="Withdraw for everyone").click()
        page.wait_for_url(f"{portal_url}/sent/{message_id}/everyone")
        page.get_by_role("button", name="Withdraw for everyone").click()
        assert page.url == f"{portal_url}/sent/{message_id}/everyone"
        assert not revoked_for_everyone(runtime, message_id)
        page.get_by_label("I understand that this cannot be undone").check()
        page.get_by_role("button", name="Withdraw for everyone").click()
        page.wait_for_url(f"{portal_url}/sent?done=everyone")
        assert revoked_for_everyone(runtime, message_id)
        assert page.get_by_role("link", name=SUBJECT).count() == 0
        assert violations == []

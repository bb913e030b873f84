"""An account in a real browser: enrol TOTP from the message link, read, log out, log in again.

What only a browser shows: the QR code (an SVG data: URI) renders under the page CSP, the
login ticket and session cookies work over http://127.0.0.1, and the forms post with the
Origin and Sec-Fetch-Site a browser really sends.
"""

from __future__ import annotations

import time

import pyotp

from sealgate.bootstrap import Runtime
from tests.lab.browser import chromium, csp_violations, pytestmark
from tests.portal.account import DORA, DORA_PASSWORD
from tests.portal.recipients import Spec, add_reader, store_for
from tests.portal.test_browser import portal_url

__all__ = ["portal_url", "pytestmark"]


def test_account_enrols_reads_and_logs_in_again(runtime: Runtime, sender, portal_url: str):
    add_reader(runtime, DORA, DORA_PASSWORD)
    guest = store_for(runtime, sender, [Spec(DORA, "account")], subject="Scan results")[DORA]
    store_for(runtime, sender, [Spec(DORA)], subject="Second letter")
    with chromium() as browser:
        page = browser.new_context().new_page()
        violations = csp_violations(page)
        page.goto(f"{portal_url}/m/{guest.token}")
        page.get_by_label("Email address").fill(DORA)
        page.get_by_label("Password").fill(DORA_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("heading", name="Set up your second step").wait_for()
        qr = page.get_by_role("img", name="QR code to add this account to an authenticator app")
        assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
        secret = page.locator(".secret code").inner_text().replace(" ", "")
        assert page.locator(".recovery-codes li").count() == 10
        page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Confirm and log in").click()
        page.wait_for_url(f"{portal_url}/inbox/{guest.recipient_id}/read")
        assert page.get_by_role("heading", name="Scan results").is_visible()

        page.get_by_role("link", name="All your messages").click()
        page.wait_for_url(f"{portal_url}/inbox")
        assert page.get_by_text("Second letter").is_visible()
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(f"{portal_url}/")

        page.goto(f"{portal_url}/login")
        page.get_by_label("Email address").fill(DORA)
        page.get_by_label("Password").fill(DORA_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{portal_url}/login/totp")
        next_code = pyotp.TOTP(secret).at(time.time() + 30)
        page.get_by_label("Code from the app").fill(next_code)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{portal_url}/inbox")
        page.get_by_role("link", name="Second letter").click()
        assert page.get_by_role("heading", name="Second letter").is_visible()
        assert violations == []

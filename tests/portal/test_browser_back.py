"""The back button after a refused form, in chromium: a normal page, never a resubmission.

Issue 11 item 6. Before POST-redirect-GET, a wrong code was answered by a page rendered on
the POST; pressing back after the right code then met chromium's "Confirm Form Resubmission"
page (net::ERR_CACHE_MISS). Each test types a wrong secret, then the right one, presses back,
and expects our page at a GET address with its form, not chromium's error page.
"""

from __future__ import annotations

import pyotp

from sealgate.bootstrap import Runtime
from tests.lab.browser import chromium, pytestmark
from tests.portal.account import DORA, DORA_PASSWORD
from tests.portal.conftest import StoredMessage
from tests.portal.guest import latest_code
from tests.portal.recipients import Spec, add_reader, store_for
from tests.portal.test_browser import portal_url

__all__ = ["portal_url", "pytestmark"]


def _assert_our_page(page, url: str) -> None:  # type: ignore[no-untyped-def]
    """`page` shows `url` as served by the portal, not chromium's error or resubmit page."""
    assert page.url == url, page.url
    html = page.content()
    assert "ERR_CACHE_MISS" not in html and "Confirm Form Resubmission" not in html
    assert page.locator("main h1").count() == 1, html[:500]


def _back(page) -> None:  # type: ignore[no-untyped-def]
    response = page.go_back(wait_until="load")
    # A page from the cache has no response; one fetched again must be a plain GET.
    assert response is None or response.request.method == "GET"


def test_back_after_a_wrong_then_right_code(runtime: Runtime, stored: StoredMessage, portal_url):
    token = stored.bob.token
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{portal_url}/m/{token}")
        page.get_by_role("button", name="Send me a code").click()
        page.wait_for_url(f"{portal_url}/m/{token}/verify")
        code = latest_code(runtime, stored.bob.recipient_id)
        page.get_by_label("Code from the mail").fill(f"{(int(code) + 1) % 1_000_000:06d}")
        page.get_by_role("button", name="Open the message").click()
        page.wait_for_url(f"{portal_url}/m/{token}/verify?error=wrong")
        assert page.get_by_role("alert").inner_text() == "That code is wrong. 4 attempts left."
        page.get_by_label("Code from the mail").fill(code)
        page.get_by_role("button", name="Open the message").click()
        page.wait_for_url(f"{portal_url}/m/{token}/read")

        _back(page)
        _assert_our_page(page, f"{portal_url}/m/{token}/verify?error=wrong")
        # The code was used: the form says so now, rather than "4 attempts left".
        assert page.get_by_label("Code from the mail").is_visible()
        assert "4 attempts left" not in page.content()
        _back(page)
        _assert_our_page(page, f"{portal_url}/m/{token}/verify")
        page.go_forward(wait_until="load")
        page.go_forward(wait_until="load")
        _assert_our_page(page, f"{portal_url}/m/{token}/read")


def test_back_after_a_wrong_then_right_access_code(runtime: Runtime, sender, portal_url):
    spec = Spec("bob@example.org", "access_code", access_code="Tulip-2026", hint="the flower")
    guest = store_for(runtime, sender, [spec])["bob@example.org"]
    start = f"{portal_url}/m/{guest.token}"
    with chromium() as browser:
        page = browser.new_page()
        page.goto(start)
        page.get_by_label("Access code").fill("Rose-2026")
        page.get_by_role("button", name="Open the message").click()
        page.wait_for_url(f"{start}?error=wrong")
        assert "4 attempts left" in page.get_by_role("alert").inner_text()
        page.get_by_label("Access code").fill("Tulip-2026")
        page.get_by_role("button", name="Open the message").click()
        page.wait_for_url(f"{start}/read")

        _back(page)
        _assert_our_page(page, f"{start}?error=wrong")
        # Signed in now: the start page offers the message, and no stale refusal.
        assert page.get_by_role("alert").count() == 0


def test_back_after_a_wrong_then_right_password(runtime: Runtime, portal_url):
    add_reader(runtime, DORA, DORA_PASSWORD)
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{portal_url}/login")
        page.get_by_label("Email address").fill(DORA)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{portal_url}/login?error=failed")
        assert "is not right" in page.get_by_role("alert").inner_text()
        page.get_by_label("Email address").fill(DORA)
        page.get_by_label("Password").fill(DORA_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        # The new app's page is a GET too (the password POST redirects to it).
        page.wait_for_url(f"{portal_url}/account/enrol")

        _back(page)
        _assert_our_page(page, f"{portal_url}/login?error=failed")
        assert page.get_by_label("Password").is_visible()
        page.go_forward(wait_until="load")
        _assert_our_page(page, f"{portal_url}/account/enrol")
        secret = page.locator(".secret code").inner_text().replace(" ", "")
        page.get_by_label("Code from the app").fill("000000")
        page.get_by_role("button", name="Confirm and log in").click()
        page.wait_for_url(f"{portal_url}/account/enrol?error=wrong")
        page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Confirm and log in").click()
        page.wait_for_url(f"{portal_url}/inbox")
        # Back from the inbox: the enrolment is done, so its page sends on to /login.
        _back(page)
        assert page.url.startswith(portal_url), page.url
        assert "ERR_CACHE_MISS" not in page.content()
        assert page.locator("main h1").count() == 1

"""An invited recipient in a real browser: ask for the invitation on the message's start page,
choose a password, enrol TOTP, read; the back button after setting the password re-posts
nothing (POST-redirect-GET)."""

from __future__ import annotations

from pathlib import Path

import pyotp

from sealgate.bootstrap import Runtime
from sealgate.directory import add_account, create_org
from tests.lab.browser import chromium, csp_violations, pytestmark
from tests.portal.account import DORA
from tests.portal.account_mail import latest_link
from tests.portal.recipients import Spec, store_for
from tests.portal.test_browser import portal_url

__all__ = ["portal_url", "pytestmark"]

PASSWORD = "purple elephant reading maps"


def test_invited_recipient_sets_up_the_account_and_reads(
    runtime: Runtime, sender, portal_url: str, tmp_path: Path
):
    with runtime.db.begin() as session:
        create_org(session, "Clinic", ["clinic.example"])
        add_account(session, DORA, "Clinic", None, "Dora Dekker")
    guest = store_for(runtime, sender, [Spec(DORA, "account")], subject="Scan results")[DORA]
    with chromium() as browser:
        page = browser.new_context().new_page()
        violations = csp_violations(page)
        page.goto(f"{portal_url}/m/{guest.token}")
        page.screenshot(path=str(tmp_path / "start.png"))
        page.get_by_role("button", name="Send me the link to set up my account").click()
        page.wait_for_url(f"{portal_url}/m/{guest.token}/invited")
        assert page.get_by_role("heading", name="Check your mail").is_visible()
        page.screenshot(path=str(tmp_path / "invited.png"))

        page.goto(portal_url + latest_link(runtime, DORA))
        page.get_by_role("heading", name="Set up your account").wait_for()
        # A common password (long enough for the browser's minlength) reaches the check.
        page.get_by_label("New password").fill("qazwsxedcrfv")
        page.get_by_label("Repeat the password").fill("qazwsxedcrfv")
        page.get_by_role("button", name="Set password").click()
        page.get_by_role("alert").wait_for()
        assert "most common passwords" in page.get_by_role("alert").inner_text()
        page.screenshot(path=str(tmp_path / "set-password-refused.png"))

        page.get_by_label("New password").fill(PASSWORD)
        page.get_by_label("Repeat the password").fill(PASSWORD)
        page.get_by_role("button", name="Set password").click()
        page.wait_for_url(f"{portal_url}/account/enrol")
        page.get_by_role("heading", name="Set up your second step").wait_for()
        qr = page.get_by_role("img", name="QR code to add this account to an authenticator app")
        assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
        assert page.locator(".recovery-codes li").count() == 10
        secret = page.locator(".secret code").inner_text().replace(" ", "")
        # Reloading the enrolment page is a plain GET: same key, no resubmission.
        page.reload()
        assert page.locator(".secret code").inner_text().replace(" ", "") == secret

        page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Confirm and log in").click()
        page.wait_for_url(f"{portal_url}/inbox/{guest.recipient_id}/read")
        assert page.get_by_role("heading", name="Scan results").is_visible()
        assert violations == []

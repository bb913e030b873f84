"""Replying in a real browser: Debian chromium posts the multipart form under our CSP and
CSRF checks (Sec-Fetch-Site, Origin: null); the sender logs in with password + TOTP, reads
the reply and downloads its attachment byte-identical. A refused reply (empty, or a file
over the limit, refused mid-upload) lands back on the read page with its error next to the
form, and that page passes axe."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyotp
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.store import Message, Recipient, Submission
from tests.lab.axe import assert_accessible
from tests.lab.browser import chromium, pytestmark
from tests.portal.conftest import CAROL, SUBJECT, StoredMessage, store_message
from tests.portal.guest import latest_code
from tests.portal.served import served_portal
from tests.portal.test_browser import portal_url
from tests.route.pipeline import process_incoming

__all__ = ["portal_url", "pytestmark"]

REPLY = "Thank you, the signed form is attached."


def _alice_row(rt: Runtime, sender_address: str) -> str:
    with rt.db.begin() as session:
        submission = session.scalars(
            select(Submission).where(Submission.in_reply_to.is_not(None))
        ).one()
        assert sorted(submission.rcpt_to) == sorted([sender_address, CAROL])
        message = session.scalars(
            select(Message).where(Message.submission_id == submission.id)
        ).one()
        return session.scalars(
            select(Recipient.id).where(
                Recipient.message_id == message.id, Recipient.address == sender_address
            )
        ).one()


def test_guest_replies_to_all_and_the_sender_downloads_the_attachment(
    runtime: Runtime, sender, stored: StoredMessage, portal_url: str, tmp_path: Path
):
    token = stored.bob.token
    document = os.urandom(64 * 1024)
    upload = tmp_path / "signed form.pdf"
    upload.write_bytes(document)
    with chromium() as browser:
        page = browser.new_context().new_page()
        page.goto(f"{portal_url}/m/{token}")
        page.get_by_role("button", name="Send me a code").click()
        page.wait_for_url(f"{portal_url}/m/{token}/verify")
        page.get_by_label("Code from the mail").fill(latest_code(runtime, stored.bob.recipient_id))
        page.get_by_role("button", name="Open the message").click()
        page.wait_for_url(f"{portal_url}/m/{token}/read")

        page.get_by_role("button", name="Send reply").click()
        page.wait_for_url(f"{portal_url}/m/{token}/read?error=empty#reply")
        assert page.get_by_role("alert").inner_text().startswith("Your reply is empty")
        assert_accessible(page, "the read page after an empty reply")
        page.get_by_label("Your reply").fill(REPLY)
        page.get_by_label("Attach files").set_input_files(str(upload))
        page.get_by_label("Reply to all").check()
        page.get_by_role("button", name="Send reply").click()
        page.wait_for_url(f"{portal_url}/m/{token}/replied")
        assert page.get_by_role("heading", name="Reply sent").is_visible()

        process_incoming(runtime)
        alice_row = _alice_row(runtime, sender.address)

        alice = browser.new_context(accept_downloads=True).new_page()
        alice.goto(f"{portal_url}/login")
        alice.get_by_label("Email address").fill(sender.address)
        alice.get_by_label("Password").fill("alice-pw")
        alice.get_by_role("button", name="Log in").click()
        alice.get_by_role("heading", name="Set up your second step").wait_for()
        secret = alice.locator(".secret code").inner_text().replace(" ", "")
        alice.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
        alice.get_by_role("button", name="Confirm and log in").click()
        alice.wait_for_url(f"{portal_url}/inbox")
        alice.get_by_role("link", name=f"Re: {SUBJECT}").click()
        alice.wait_for_url(f"{portal_url}/inbox/{alice_row}/read")
        assert REPLY in alice.content()
        with alice.expect_download() as download_info:
            alice.get_by_role("link", name="signed form.pdf").click()
        saved = tmp_path / "downloaded.pdf"
        download_info.value.save_as(saved)
        assert saved.read_bytes() == document


def _open_as_bob(page: Any, rt: Runtime, base: str, stored: StoredMessage) -> None:
    token = stored.bob.token
    page.goto(f"{base}/m/{token}")
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url(f"{base}/m/{token}/verify")
    page.get_by_label("Code from the mail").fill(latest_code(rt, stored.bob.recipient_id))
    page.get_by_role("button", name="Open the message").click()
    page.wait_for_url(f"{base}/m/{token}/read")


def test_a_file_over_the_limit_comes_back_to_the_form(sender_factory, tmp_path: Path):
    """The portal as `sealgate serve` runs it refuses the upload from its Content-Length and
    answers 303 before reading the body; chromium, still sending, follows the redirect."""

    rt, sender = sender_factory(SEALGATE_SUBMISSION__MAX_MESSAGE_SIZE="60000")
    stored = store_message(rt, sender)
    upload = tmp_path / "scan.bin"
    upload.write_bytes(os.urandom(4 * 1024 * 1024))
    with served_portal(rt) as base, chromium() as browser:
        page = browser.new_context().new_page()
        _open_as_bob(page, rt, base, stored)
        page.get_by_label("Your reply", exact=True).fill(REPLY)
        page.get_by_label("Attach files").set_input_files(str(upload))
        page.get_by_role("button", name="Send reply").click()
        page.wait_for_url(f"{base}/m/{stored.bob.token}/read?error=too_large#reply")
        alert = page.get_by_role("alert").inner_text()
        assert alert.startswith("Your reply was not sent") and "59 KB" in alert
        described = page.get_by_label("Attach files").get_attribute("aria-describedby")
        assert described == "reply-error reply-limit"
        assert_accessible(page, "the read page after a reply over the limit")
    with rt.db.begin() as session:
        assert (
            session.scalars(select(Submission).where(Submission.in_reply_to.is_not(None))).all()
            == []
        )

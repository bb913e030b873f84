"""The whole guest flow in a real browser: Debian chromium, Playwright, uvicorn on loopback.

What only a browser can show: the Secure cookies work on http://127.0.0.1, the CSP lets our own
pages and CSS through, the HTML body renders inside its sandboxed frame, and a download
arrives byte-identical.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from sealgate.bootstrap import Runtime
from sealgate.config import split_hostport
from sealgate.portal import create_app
from tests.conftest import Sender
from tests.intake.inline_mail import signature_mail
from tests.lab.browser import chromium, csp_violations, pytestmark
from tests.portal.conftest import SUBJECT, StoredMessage
from tests.portal.guest import latest_code
from tests.portal.over_http import store_mail

__all__ = ["portal_url", "pytestmark"]


@pytest.fixture
def portal_url(runtime: Runtime) -> Iterator[str]:
    """The portal served by uvicorn on the test's loopback port, in a thread of this process."""
    host, port = split_hostport(runtime.settings.web.listen)
    config = uvicorn.Config(
        create_app(runtime), host=host, port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="portal-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield runtime.settings.web.base_url
    server.should_exit = True
    thread.join(timeout=15)
    assert not thread.is_alive()


def test_guest_reads_and_downloads_in_chromium(
    runtime: Runtime, stored: StoredMessage, portal_url: str, tmp_path: Path
):
    token = stored.bob.token
    with chromium() as browser:
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        violations = csp_violations(page)

        page.goto(f"{portal_url}/m/{token}")
        assert "Alice Arts" in page.content()
        # Our stylesheet applied under the CSP: the button has the accent background.
        button = page.get_by_role("button", name="Send me a code")
        assert button.evaluate("b => getComputedStyle(b).backgroundColor") == ("rgb(31, 95, 168)")
        button.click()
        page.wait_for_url(f"{portal_url}/m/{token}/verify")

        page.get_by_label("Code from the mail").fill(latest_code(runtime, stored.bob.recipient_id))
        page.get_by_role("button", name="Open the message").click()
        page.wait_for_url(f"{portal_url}/m/{token}/read")
        assert page.get_by_role("heading", name=SUBJECT).is_visible()
        # One body: the HTML frame only, and the line that its remote image was blocked.
        assert "your lab results are attached." not in page.content()
        assert page.get_by_text("Images from the internet were blocked").is_visible()
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["sealgate_session"]["secure"] and cookies["sealgate_session"]["httpOnly"]
        assert cookies["sealgate_session"]["sameSite"] == "Lax"
        assert cookies["sealgate_session"]["expires"] == -1  # ends with the browser

        frame_element = page.locator("iframe.body-html")
        assert frame_element.get_attribute("sandbox") == "allow-same-origin"
        frame = page.frame_locator("iframe.body-html")
        assert frame.locator("b").inner_text() == "lab results"
        assert frame.locator("script").count() == 0
        assert frame.locator("[onclick]").count() == 0

        with page.expect_download() as download_info:
            page.get_by_role("link", name="scan.bin").click()
        download = download_info.value
        assert download.suggested_filename == "scan.bin"
        saved = tmp_path / "scan.bin"
        download.save_as(saved)
        assert saved.read_bytes() == stored.attachments[1]

        # The tracking pixel in the HTML body must be blocked; nothing of ours may be.
        assert all("tracker.example" in v for v in violations), violations

        # Close: the session ends, and the link asks for a proof again.
        page.get_by_role("button", name="Close", exact=True).click()
        page.wait_for_url(f"{portal_url}/m/{token}/closed")
        assert page.get_by_role("heading", name="Message closed").is_visible()
        assert "sealgate_session" not in {c["name"] for c in context.cookies()}
        page.get_by_role("link", name="Open the message again").click()
        page.wait_for_url(f"{portal_url}/m/{token}")
        assert page.get_by_role("button", name="Send me a code").is_visible()


def test_a_branded_link_page_in_chromium(
    runtime: Runtime, sender, stored: StoredMessage, portal_url: str, tmp_path: Path
):
    """The organisation's logo (a sanitised SVG) loads through <img> under the page policy,
    its accent colours the button through its same-origin sheet, and its name heads the page;
    screenshots at desktop and phone size are written as artifacts."""

    from sealgate.directory import BrandChange, set_brand
    from sealgate.store import utcnow
    from tests.directory.brand_files import CLEAN_SVG

    with runtime.db.begin() as session:
        change = BrandChange(
            display_name="Ziekenhuis Noord",
            accent="#0b6e4f",
            support="Vragen? Bel 020 123 4567",
            footer="Ziekenhuis Noord, Noorderweg 1, Amsterdam",
            logo=CLEAN_SVG,
            logo_filename="logo.svg",
        )
        set_brand(session, sender.org, change, utcnow())
    with chromium() as browser:
        for size, viewport in (("desktop", (1280, 800)), ("phone", (390, 844))):
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            violations = csp_violations(page)
            page.goto(f"{portal_url}/m/{stored.bob.token}")
            assert page.title().endswith(" – Ziekenhuis Noord")
            assert page.locator(".brand").inner_text() == "Ziekenhuis Noord"
            logo = page.locator("img.brand-logo")
            assert logo.evaluate("img => img.complete && img.naturalWidth") > 0
            button = page.get_by_role("button", name="Send me a code")
            assert button.evaluate("b => getComputedStyle(b).backgroundColor") == (
                "rgb(11, 110, 79)"
            )
            assert page.get_by_text("Vragen? Bel 020 123 4567").is_visible()
            page.screenshot(path=str(tmp_path / f"brand-{size}.png"), full_page=True)
            assert (tmp_path / f"brand-{size}.png").stat().st_size > 0
            assert violations == []
            page.close()


def test_inline_picture_renders_in_the_frame_in_chromium(
    runtime: Runtime, sender: Sender, portal_url: str, tmp_path: Path
):
    """A signature logo (cid:) is drawn inside the sandboxed frame, from our own origin, under
    the frame's CSP; the remote tracker is never requested; the logo is no attachment."""

    bob = store_mail(runtime, sender, signature_mail().as_bytes())
    requested: list[str] = []
    with chromium() as browser:
        context = browser.new_context()
        page = context.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{portal_url}/m/{bob.token}")
        page.get_by_role("button", name="Send me a code").click()
        page.wait_for_url(f"{portal_url}/m/{bob.token}/verify")
        page.get_by_label("Code from the mail").fill(latest_code(runtime, bob.recipient_id))
        page.get_by_role("button", name="Open the message").click()
        page.wait_for_url(f"{portal_url}/m/{bob.token}/read")

        frame = page.frame_locator("iframe.body-html")
        logo = frame.get_by_alt_text("Hospital logo")
        logo.wait_for()
        page.wait_for_function(
            "() => { const f = document.querySelector('iframe.body-html');"
            " const img = f && f.contentDocument && f.contentDocument.querySelector('img');"
            " return img && img.complete && img.naturalWidth > 0; }"
        )
        assert logo.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [8, 6]
        assert page.get_by_text("Images from the internet were blocked").is_visible()
        attachments = page.locator("section.attachments")
        assert attachments.get_by_role("link").all_inner_texts() == ["letter.pdf"]
        assert page.locator("section.inline-images").get_by_role("link").count() == 1
        page.screenshot(path=str(tmp_path / "read-inline-picture.png"), full_page=True)
    assert f"{portal_url}/m/{bob.token}/inline/0" in requested
    assert not [url for url in requested if "tracker.example" in url]


def test_remember_this_device_in_chromium(
    runtime: Runtime, stored: StoredMessage, portal_url: str, tmp_path: Path
):
    """With the organisation's consent, the ticked box gives chromium a long-lived HttpOnly
    device cookie; after "Close" the link opens the message again without a code."""

    from sealgate.directory import set_policy

    with runtime.db.begin() as session:
        set_policy(session, "Hospital", remember_device_days=30)
    token = stored.bob.token
    with chromium() as browser:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{portal_url}/m/{token}")
        page.get_by_role("button", name="Send me a code").click()
        page.wait_for_url(f"{portal_url}/m/{token}/verify")
        page.get_by_label("Code from the mail").fill(latest_code(runtime, stored.bob.recipient_id))
        page.get_by_label("Remember this device for 30 days").check()
        page.screenshot(path=str(tmp_path / "verify-remember.png"), full_page=True)
        page.get_by_role("button", name="Open the message").click()
        page.wait_for_url(f"{portal_url}/m/{token}/read")
        device = {c["name"]: c for c in context.cookies()}["sealgate_device"]
        assert device["httpOnly"] and device["sameSite"] == "Lax"
        assert device["expires"] > time.time() + 29 * 86400

        page.get_by_role("button", name="Close", exact=True).click()
        page.wait_for_url(f"{portal_url}/m/{token}/closed")
        page.get_by_role("link", name="Open the message again").click()
        page.wait_for_url(f"{portal_url}/m/{token}/read")
        assert page.get_by_role("heading", name=SUBJECT).is_visible()

"""The language switch in a real browser: chromium's own Accept-Language, a click on the
switch, the cookie kept over http://127.0.0.1, at desktop and phone sizes (screenshots are
written to the test's folder as artifacts)."""

from __future__ import annotations

from pathlib import Path

from sealgate.bootstrap import Runtime
from tests.lab.browser import chromium, pytestmark
from tests.portal.conftest import StoredMessage
from tests.portal.test_browser import portal_url

__all__ = ["portal_url", "pytestmark"]

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def test_the_switch_in_chromium(
    runtime: Runtime, stored: StoredMessage, portal_url: str, tmp_path: Path
) -> None:
    # One guest per size: a second code for the same link would have to wait.
    tokens = {"desktop": stored.bob.token, "phone": stored.carol.token}
    with chromium() as browser:
        for size, (width, height) in SIZES.items():
            token = tokens[size]
            context = browser.new_context(
                locale="de-DE", viewport={"width": width, "height": height}
            )
            page = context.new_page()
            page.goto(f"{portal_url}/m/{token}")
            assert page.locator("html").get_attribute("lang") == "de"
            assert page.get_by_role("heading", name="Sie haben eine sichere Nachricht")
            page.screenshot(path=str(tmp_path / f"link-de-{size}.png"), full_page=True)

            switch = page.get_by_role("navigation", name="Sprache")
            switch.get_by_role("link", name="Nederlands").click()
            page.wait_for_url(f"{portal_url}/m/{token}")
            assert page.locator("html").get_attribute("lang") == "nl"
            button = page.get_by_role("button", name="Stuur mij een code")
            assert button.is_visible()
            page.screenshot(path=str(tmp_path / f"link-nl-{size}.png"), full_page=True)

            # The choice holds on the next page, past the form's POST-redirect-GET.
            button.click()
            page.wait_for_url(f"{portal_url}/m/{token}/verify")
            assert page.get_by_label("Code uit de e-mail").is_visible()
            assert page.locator("html").get_attribute("lang") == "nl"
            context.close()

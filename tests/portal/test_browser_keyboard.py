"""Keyboard only, in Debian chromium: a guest opens a message with Tab, typing and Enter.

What axe cannot see: the order Tab visits things in (skip link, languages, then the form in
reading order), that each stop shows a focus ring (an outline, not `none`) with at least 3:1
contrast against what surrounds it (WCAG 1.4.11, 2.4.7), and that Enter submits the forms.
"""

from __future__ import annotations

from typing import Any

from sealgate.bootstrap import Runtime
from tests.lab.browser import chromium, pytestmark
from tests.portal.conftest import SUBJECT, StoredMessage
from tests.portal.guest import latest_code
from tests.portal.test_browser import portal_url

__all__ = ["portal_url", "pytestmark"]

# The focused element: a short name, its outline, and the background behind it (the nearest
# ancestor with a background colour of its own).
_FOCUSED = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  let behind = e.parentElement, background = "rgba(0, 0, 0, 0)";
  while (behind) {
    background = getComputedStyle(behind).backgroundColor;
    if (background !== "rgba(0, 0, 0, 0)") break;
    behind = behind.parentElement;
  }
  const name = (e.getAttribute("aria-label") || e.innerText || e.value || e.id || "").trim();
  return {
    what: e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + ":" + name.split("\\n")[0],
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
    outlineColor: style.outlineColor,
    background,
  };
}"""


def _luminance(rgb: str) -> float:
    channels = [int(part) / 255 for part in rgb[rgb.index("(") + 1 : -1].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _tab_stops(page: Any, count: int) -> list[str]:
    """Press Tab `count` times from the top; each stop must show a visible focus ring."""
    stops = []
    for _ in range(count):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        assert focused["outlineStyle"] != "none" and focused["outlineWidth"] >= 2, focused
        assert _contrast(focused["outlineColor"], focused["background"]) >= 3, focused
        stops.append(focused["what"])
    return stops


def test_a_guest_opens_the_message_with_the_keyboard_only(
    runtime: Runtime, stored: StoredMessage, portal_url: str
) -> None:
    token = stored.bob.token
    with chromium() as browser:
        page = browser.new_context(locale="en-GB").new_page()
        page.goto(f"{portal_url}/m/{token}")
        assert _tab_stops(page, 5) == [
            "a:Skip to the content",
            "a:Nederlands",
            "a:Deutsch",
            "button:Send me a code",
            "a:Enter it here",
        ]
        # Back to the button (Shift+Tab), and Enter sends the code.
        page.keyboard.press("Shift+Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == f"{portal_url}/m/{token}/verify"

        # The skip link jumps past the banner: the next Tab lands in the form.
        page.keyboard.press("Tab")
        with page.expect_navigation(url=f"{portal_url}/m/{token}/verify#content"):
            page.keyboard.press("Enter")
        assert _tab_stops(page, 3) == [
            "input#code:code",
            "button:Open the message",
            "button:Send me a new code",
        ]
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Shift+Tab")
        page.keyboard.type(latest_code(runtime, stored.bob.recipient_id))
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == f"{portal_url}/m/{token}/read"
        assert page.get_by_role("heading", name=SUBJECT).is_visible()

        # On the read page every stop shows its focus ring too, in reading order: Close
        # first after the banner, the attachments, then the reply form. (The frame of
        # the formatted body takes no stop: Chromium shows no focus ring on a frame.)
        assert _tab_stops(page, 10) == [
            "a:Skip to the content",
            "a:Nederlands",
            "a:Deutsch",
            "button:Close",
            *(f"a:{attachment.filename}" for attachment in stored.readable.attachments),
            "input:yes",
            "textarea#reply-body:reply-body",
            "input#reply-attachments:reply-attachments",
            "button:Send reply",
        ]

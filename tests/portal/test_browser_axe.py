"""axe-core on every portal page, in English, Dutch and German, at desktop and phone sizes.

Each language and size walks the pages a recipient, an account holder and a visitor can
reach, the way they reach them (clicks and typing in Debian chromium), and axe checks each
page against the WCAG 2.0/2.1/2.2 A and AA rules (tests/lab/axe.py); at phone size each page
must also reflow at 320 CSS pixels without sideways scrolling (1.4.10). Every violation on
every page is collected, so one run reports them all. Screenshots go to the test's folder.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyotp
import pytest

from sealgate.bootstrap import Runtime
from sealgate.directory import add_account, create_org
from sealgate.store import Recipient, utcnow
from tests.conftest import Sender
from tests.lab.axe import axe_violations, describe
from tests.lab.browser import chromium, pytestmark
from tests.portal.account_mail import latest_link
from tests.portal.conftest import store_message
from tests.portal.guest import latest_code
from tests.portal.recipients import PHONE, Spec, add_reader, store_for
from tests.portal.test_browser import portal_url

__all__ = ["portal_url", "pytestmark"]

LANGUAGES = {"en": "en-GB", "nl": "nl-NL", "de": "de-DE"}
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
PASSWORD = "purple elephant reading maps"


class Walk:
    """One browser page walking the portal; `check(name)` runs axe on what it shows now."""

    def __init__(self, page: Any, base: str, folder: Path, label: str) -> None:
        self.page, self.base, self.folder, self.label = page, base, folder, label
        self.found: list[str] = []
        self.checked: list[str] = []

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def check(self, name: str) -> None:
        self.checked.append(name)
        assert self.page.locator("html").get_attribute("lang") == self.label.split("-")[0]
        self.page.screenshot(path=str(self.folder / f"{self.label}-{name}.png"), full_page=True)
        if violations := axe_violations(self.page):
            self.found.append(f"{self.label} {name} ({self.page.url}):\n{describe(violations)}")
        if self.label.endswith("phone"):
            self._reflows(name)

    def _reflows(self, name: str) -> None:
        """WCAG 1.4.10: at 320 CSS pixels wide nothing needs scrolling sideways."""
        size = self.page.viewport_size
        self.page.set_viewport_size({"width": 320, "height": size["height"]})
        sideways = self.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        self.page.set_viewport_size(size)
        if sideways > 0:
            self.found.append(f"{self.label} {name}: scrolls {sideways}px sideways at 320px")

    def submit(self, selector: str) -> None:
        """Press Enter in a field: the form posts and the browser follows the redirect."""
        with self.page.expect_navigation():
            self.page.locator(selector).press("Enter")

    def click(self, selector: str) -> None:
        with self.page.expect_navigation():
            self.page.locator(selector).click()


def _world(rt: Runtime, sender: Sender, n: int) -> dict[str, Any]:
    """Fresh recipients of every method for walk number `n` (nothing shared between walks)."""
    stored = store_message(rt, sender)
    withdrawn = store_for(rt, sender, [Spec(f"wd{n}@example.org")])[f"wd{n}@example.org"]
    with rt.db.begin() as session:
        session.get_one(Recipient, withdrawn.recipient_id).revoked_at = utcnow()
    sms = store_for(rt, sender, [Spec(f"sms{n}@example.org", "sms", phone=PHONE)])
    access = store_for(
        rt,
        sender,
        [Spec(f"ac{n}@example.org", "access_code", access_code="c0de", hint="Your birth town")],
    )
    reader = f"dora@clinic{n}.example"
    add_reader(rt, reader, PASSWORD, org=f"Clinic {n}")
    account = store_for(rt, sender, [Spec(reader, "account")], subject="Scan results")
    invited = f"erin@ward{n}.example"
    with rt.db.begin() as session:
        create_org(session, f"Ward {n}", [f"ward{n}.example"])
        add_account(session, invited, f"Ward {n}", None, "Erin Evers")
    invitation = store_for(rt, sender, [Spec(invited, "account")], subject="Scan results")
    # A second message to the invited account, withdrawn: the inbox shows a closed entry.
    earlier = store_for(rt, sender, [Spec(invited, "account")], subject="Old letter")[invited]
    with rt.db.begin() as session:
        session.get_one(Recipient, earlier.recipient_id).revoked_at = utcnow()
    return {
        "stored": stored,
        "withdrawn": withdrawn,
        "sms": sms[f"sms{n}@example.org"],
        "access": access[f"ac{n}@example.org"],
        "account": account[reader],
        "invited": invited,
        "invitation": invitation[invited],
    }


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _guest_pages(walk: Walk, rt: Runtime, world: dict[str, Any]) -> None:
    walk.go("/")
    walk.check("front")
    walk.go("/no-such-page")
    walk.check("404")
    walk.go("/logout")
    walk.check("405")
    walk.go(f"/m/{world['stored'].expired_token}")
    walk.check("410-expired")
    walk.go(f"/m/{world['withdrawn'].token}")
    walk.check("410-withdrawn")

    bob = world["stored"].bob
    walk.go(f"/m/{bob.token}")
    walk.check("link-email")
    walk.click("form[action$='/code'] button")
    walk.check("verify-email")
    code = latest_code(rt, bob.recipient_id)
    walk.page.locator("#code").fill(_wrong(code))
    walk.submit("#code")
    walk.check("verify-wrong-code")
    walk.page.locator("#code").fill(code)
    walk.submit("#code")
    walk.check("read-guest")
    walk.click(".reply-form button[type=submit]")  # empty: back to the form, with its error
    walk.check("read-reply-empty")
    walk.page.locator("#reply-body").fill("Thank you.")
    walk.click(".reply-form button[type=submit]")
    walk.check("reply-sent")
    walk.click("form.session-end button")
    walk.check("closed")

    walk.go(f"/m/{world['sms'].token}")
    walk.check("link-sms")
    walk.click("form[action$='/code'] button")
    walk.check("verify-sms")

    walk.go(f"/m/{world['access'].token}")
    walk.check("link-access-code")
    walk.page.locator("#access_code").fill("wrong")
    walk.submit("#access_code")
    walk.check("access-code-wrong")


def _account_pages(walk: Walk, rt: Runtime, world: dict[str, Any]) -> None:
    walk.go(f"/m/{world['account'].token}")
    walk.check("link-account")
    walk.go("/login")
    walk.check("login")
    walk.page.locator("#email").fill(world["account"].address)
    walk.page.locator("#password").fill("not the password")
    walk.submit("#password")
    walk.check("login-wrong-password")
    walk.go("/forgot")
    walk.check("forgot")
    walk.page.locator("#email").fill(world["account"].address)
    walk.submit("#email")
    walk.check("forgot-sent")
    walk.go(latest_link(rt, world["account"].address))
    walk.check("set-password-reset")
    walk.go("/account/wait")
    walk.check("429-too-many-requests")

    walk.go(f"/m/{world['invitation'].token}")
    walk.check("link-invitation")
    walk.click("form[action$='/invite'] button")
    walk.check("invitation-sent")
    walk.go(latest_link(rt, world["invited"]))
    walk.check("set-password")
    walk.page.locator("#password").fill("qazwsxedcrfv")
    walk.page.locator("#confirm").fill("qazwsxedcrfv")
    walk.submit("#confirm")
    walk.check("set-password-refused")
    walk.page.locator("#password").fill(PASSWORD)
    walk.page.locator("#confirm").fill(PASSWORD)
    walk.submit("#confirm")
    walk.check("enrol")
    secret = walk.page.locator(".secret code").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    walk.page.locator("#code").fill(_wrong(totp.now()))
    walk.submit("#code")
    walk.check("enrol-wrong-code")
    walk.page.locator("#code").fill(totp.now())
    walk.submit("#code")
    walk.check("read-account")
    walk.go("/inbox")
    walk.check("inbox")
    walk.click("form[action='/logout'] button")
    walk.check("logged-out")

    walk.go("/login")
    walk.page.locator("#email").fill(world["invited"])
    walk.page.locator("#password").fill(PASSWORD)
    walk.submit("#password")
    walk.check("totp")
    later = totp.at(time.time() + 30)
    walk.page.locator("#code").fill(_wrong(later))
    walk.submit("#code")
    walk.check("totp-wrong-code")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_passes_axe(
    runtime: Runtime, sender: Sender, portal_url: str, tmp_path: Path, language: str
) -> None:
    found: list[str] = []
    walks: list[Walk] = []
    with chromium() as browser:
        for n, (size, (width, height)) in enumerate(SIZES.items()):
            world = _world(runtime, sender, n)
            context = browser.new_context(
                locale=LANGUAGES[language], viewport={"width": width, "height": height}
            )
            walk = Walk(context.new_page(), portal_url, tmp_path, f"{language}-{size}")
            steps: list[Callable[[Walk, Runtime, dict[str, Any]], None]] = [
                _guest_pages,
                _account_pages,
            ]
            for step in steps:
                step(walk, runtime, world)
            found += walk.found
            walks.append(walk)
            context.close()
    assert walks[0].checked == walks[1].checked
    assert len(walks[0].checked) == 34
    assert not found, "axe found WCAG 2.2 AA violations:\n" + "\n".join(found)

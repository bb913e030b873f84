"""Reading: the message for its own recipient only, the HTML body sanitised in a sandbox."""

from __future__ import annotations

import re

from sealgate.bootstrap import Runtime
from sealgate.portal.read import HTML_BODY_POLICY
from tests.portal.conftest import SUBJECT
from tests.portal.guest import GuestBrowser


async def test_read_page_shows_the_message(runtime: Runtime, browser: GuestBrowser, stored):
    await browser.sign_in(runtime, stored.bob.token, stored.bob.recipient_id)
    page = await browser.get(f"/m/{stored.bob.token}/read")
    assert page.status_code == 200
    for shown in (
        SUBJECT,
        "Alice Arts &lt;alice@hospital.example&gt;",
        '<time datetime="2026-03-03T10:00:00+01:00">3 Mar 2026 10:00</time>',
        "bob@example.org",
        "carol@example.net",
        "scan.bin",
        "200 KB",
    ):
        assert shown in page.text, shown
    # One body: the HTML frame, not the text part beside it.
    assert "your lab results are attached." not in page.text
    [iframe] = re.findall(r"<iframe[^>]*>", page.text)
    assert 'sandbox="allow-same-origin"' in iframe and iframe.count("allow-") == 1
    assert f'src="/m/{stored.bob.token}/html"' in iframe
    # The raw HTML body is never inlined in the page.
    assert "<script" not in page.text and "onclick" not in page.text


async def test_html_body_is_sanitised(runtime: Runtime, browser: GuestBrowser, stored):
    await browser.sign_in(runtime, stored.bob.token, stored.bob.recipient_id)
    frame = await browser.get(f"/m/{stored.bob.token}/html")
    assert frame.status_code == 200
    assert frame.headers["content-type"] == "text/html; charset=utf-8"
    assert "<b>lab results</b>" in frame.text
    assert "<script" not in frame.text.lower() and "document.cookie" not in frame.text
    assert not re.search(r"\son[a-z]+\s*=", frame.text)
    assert frame.headers["content-security-policy"] == HTML_BODY_POLICY
    assert "sandbox" in frame.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in frame.headers["content-security-policy"]
    assert frame.headers["x-content-type-options"] == "nosniff"
    assert frame.headers["x-frame-options"] == "SAMEORIGIN"


async def test_without_session_the_read_page_goes_back_to_the_start(browser, stored):
    response = await browser.get(f"/m/{stored.bob.token}/read")
    assert response.status_code == 303
    assert response.headers["location"] == f"/m/{stored.bob.token}"
    assert SUBJECT not in response.text
    frame = await browser.get(f"/m/{stored.bob.token}/html")
    assert frame.status_code == 403 and "lab results" not in frame.text


async def test_session_is_scoped_to_its_recipient(runtime: Runtime, browser: GuestBrowser, stored):
    """Bob's session opens bob's link, not carol's, though it is the same message."""
    await browser.sign_in(runtime, stored.bob.token, stored.bob.recipient_id)
    carol = stored.carol.token
    page = await browser.get(f"/m/{carol}/read")
    assert page.status_code == 303 and page.headers["location"] == f"/m/{carol}"
    for path in (f"/m/{carol}/html", f"/m/{carol}/attachments/1"):
        response = await browser.get(path)
        assert response.status_code == 403, path
        assert "Please confirm your address first" in response.text
    assert (await browser.get(f"/m/{stored.bob.token}/read")).status_code == 200


async def test_expired_session_is_refused(runtime: Runtime, browser: GuestBrowser, stored):
    from sqlalchemy import update

    from sealgate.store import PortalSession, utcnow

    await browser.sign_in(runtime, stored.bob.token, stored.bob.recipient_id)
    with runtime.db.begin() as session:
        session.execute(update(PortalSession).values(expires_at=utcnow()))
    assert (await browser.get(f"/m/{stored.bob.token}/read")).status_code == 303

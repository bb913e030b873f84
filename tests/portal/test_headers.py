"""Every portal response carries the strict security headers; the HTML frame its own policy."""

from __future__ import annotations

from sealgate.bootstrap import Runtime
from sealgate.portal.headers import PAGE_POLICY
from tests.portal.guest import GuestBrowser


def assert_page_headers(response) -> None:  # type: ignore[no-untyped-def]
    headers = response.headers
    assert headers["content-security-policy"] == PAGE_POLICY, response.url
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"


def test_page_policy_is_the_strict_one():
    for directive in (
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ):
        assert directive in PAGE_POLICY
    assert "script-src" not in PAGE_POLICY and "unsafe" not in PAGE_POLICY


async def test_every_page_sends_security_headers(runtime: Runtime, browser: GuestBrowser, stored):
    token = stored.bob.token
    responses = [
        await browser.get("/"),
        await browser.get("/no/such/page"),
        await browser.get("/static/portal.css"),
        await browser.get(f"/m/{token}"),
        await browser.get(f"/m/{stored.expired_token}"),
        await browser.get(f"/m/{token}/read"),
        await browser.request("POST", f"/m/{token}/code", data={}),
        await browser.post(f"/m/{token}/code"),
        await browser.get(f"/m/{token}/verify"),
        await browser.post(f"/m/{token}/verify", {"code": "000000"}),
        await browser.post(f"/m/{token}/code"),
        await browser.get(f"/m/{token}/verify?error=wait"),
    ]
    assert [r.status_code for r in responses] == [
        200,
        404,
        200,
        200,
        404,
        303,
        403,
        303,
        200,
        303,
        303,
        200,
    ]
    for response in responses:
        assert_page_headers(response)
    await browser.sign_in(runtime, stored.carol.token, stored.carol.recipient_id)
    page = await browser.get(f"/m/{stored.carol.token}/read")
    assert_page_headers(page)
    download = await browser.get(f"/m/{stored.carol.token}/attachments/0")
    assert download.headers["x-frame-options"] == "DENY"
    assert download.headers["cache-control"] == "no-store"
    assert download.headers["referrer-policy"] == "no-referrer"


async def test_pages_load_nothing_from_elsewhere(browser: GuestBrowser, stored):
    page = await browser.get(f"/m/{stored.bob.token}")
    css = await browser.get("/static/portal.css")
    for text in (page.text, css.text):
        assert (
            "http://" not in text and "https://" not in text and "//" not in text.replace("://", "")
        )
    assert css.headers["content-type"].startswith("text/css")

"""Attachments: streamed, byte-identical, always a download, never something a browser runs."""

from __future__ import annotations

import asyncio

import pytest

from sealgate.bootstrap import Runtime
from sealgate.portal import create_app
from sealgate.portal.download import content_disposition, safe_content_type
from tests.portal.guest import GuestBrowser, portal_client


@pytest.mark.parametrize(
    ("index", "disposition"),
    [
        (1, "attachment; filename=\"scan.bin\"; filename*=UTF-8''scan.bin"),
        # The HTML attachment is served inert, under an ASCII fallback and its exact name.
        (
            0,
            'attachment; filename="_bersicht _M_rz_.html"; '
            "filename*=UTF-8''%C3%9Cbersicht%20_M%C3%A4rz_.html",
        ),
    ],
)
async def test_attachment_is_a_byte_identical_download(
    runtime: Runtime, browser: GuestBrowser, stored, index: int, disposition: str
):
    await browser.sign_in(runtime, stored.bob.token, stored.bob.recipient_id)
    response = await browser.get(f"/m/{stored.bob.token}/attachments/{index}")
    assert response.status_code == 200
    assert response.content == stored.attachments[index]
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == disposition
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]


async def test_attachment_is_streamed_in_pieces(runtime: Runtime, stored):
    """The 200 KB attachment leaves the app as several body messages, not one buffer."""
    app = create_app(runtime)
    async with portal_client(runtime, app) as client:
        guest = GuestBrowser(client)
        await guest.sign_in(runtime, stored.bob.token, stored.bob.recipient_id)
    cookie = "; ".join(f"{k}={v}" for k, v in guest.cookies.items())
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": f"/m/{stored.bob.token}/attachments/1",
        "raw_path": b"",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"cookie", cookie.encode())],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent: list[dict] = []
    requested, finished = False, asyncio.Event()

    async def receive():
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            finished.set()

    await app(scope, receive, send)
    bodies = [m for m in sent if m["type"] == "http.response.body" and m.get("body")]
    assert sent[0]["status"] == 200
    assert len(bodies) >= 3
    assert b"".join(m["body"] for m in bodies) == stored.attachments[1]


@pytest.mark.parametrize("index", ["2", "99", "-1", "x", "1.0", "0x1"])
async def test_unknown_attachment_index(runtime: Runtime, browser, stored, index: str):
    await browser.sign_in(runtime, stored.bob.token, stored.bob.recipient_id)
    response = await browser.get(f"/m/{stored.bob.token}/attachments/{index}")
    assert response.status_code == 404


async def test_attachment_needs_a_session(browser: GuestBrowser, stored):
    response = await browser.get(f"/m/{stored.bob.token}/attachments/1")
    assert response.status_code == 403
    assert response.content != stored.attachments[1]


@pytest.mark.parametrize(
    ("stored_type", "served"),
    [
        ("application/pdf", "application/pdf"),
        ("image/png", "image/png"),
        ("text/plain; charset=iso-8859-1", "text/plain; charset=iso-8859-1"),
        ("TEXT/PLAIN", "text/plain"),
        ("text/html", "application/octet-stream"),
        ("application/xhtml+xml", "application/octet-stream"),
        ("image/svg+xml", "application/octet-stream"),
        ("text/javascript", "application/octet-stream"),
        ("application/x-javascript", "application/octet-stream"),
        ("text/xml", "application/octet-stream"),
        ("multipart/mixed", "application/octet-stream"),
        ("", "application/octet-stream"),
        ("garbage", "application/octet-stream"),
        ("text/plain\r\nX-Evil: 1", "application/octet-stream"),
    ],
)
def test_safe_content_type(stored_type: str, served: str):
    assert safe_content_type(stored_type) == served


@pytest.mark.parametrize(
    ("filename", "header"),
    [
        ("report.pdf", "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"),
        (
            "../../etc/passwd",
            "attachment; filename=\"_.._etc_passwd\"; filename*=UTF-8''_.._etc_passwd",
        ),
        ("", "attachment; filename=\"attachment\"; filename*=UTF-8''attachment"),
        ("a\r\nb.txt", "attachment; filename=\"a__b.txt\"; filename*=UTF-8''a__b.txt"),
        ("日本.txt", "attachment; filename=\"__.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt"),
    ],
)
def test_content_disposition(filename: str, header: str):
    assert content_disposition(filename) == header

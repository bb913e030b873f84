"""Closing a message: the guest's own way to end its session on a shared computer."""

from __future__ import annotations

from sqlalchemy import func, select

from sealgate.bootstrap import Runtime
from sealgate.store import AuditEntryRow, PortalSession
from tests.portal.conftest import SUBJECT
from tests.portal.guest import GuestBrowser


def sessions(rt: Runtime) -> int:
    with rt.db.begin() as session:
        return session.scalar(select(func.count()).select_from(PortalSession)) or 0


async def test_read_page_has_a_close_button(runtime: Runtime, browser: GuestBrowser, stored):
    token = stored.bob.token
    await browser.sign_in(runtime, token, stored.bob.recipient_id)
    page = await browser.get(f"/m/{token}/read")
    assert f'<form method="post" action="/m/{token}/close" class="session-end">' in page.text
    assert ">Close</button>" in page.text


async def test_close_ends_the_session(runtime: Runtime, browser: GuestBrowser, stored):
    token = stored.bob.token
    await browser.sign_in(runtime, token, stored.bob.recipient_id)
    await browser.get(f"/m/{token}/read")
    cookie = browser.cookies["sealgate_session"]
    closed = await browser.post(f"/m/{token}/close")
    assert closed.status_code == 303 and closed.headers["location"] == f"/m/{token}/closed"
    [cleared] = [
        c for c in closed.headers.get_list("set-cookie") if c.startswith("sealgate_session=")
    ]
    assert "max-age=0" in cleared.lower()
    assert "sealgate_session" not in browser.cookies
    assert sessions(runtime) == 0
    notice = await browser.get(f"/m/{token}/closed")
    assert notice.status_code == 200 and "Message closed" in notice.text
    assert f'href="/m/{token}"' in notice.text and SUBJECT not in notice.text
    # The old cookie, kept by someone who copied it, reads nothing any more.
    again = await browser.get(f"/m/{token}/read", headers={"cookie": f"sealgate_session={cookie}"})
    assert again.status_code == 303 and again.headers["location"] == f"/m/{token}"
    with runtime.db.begin() as session:
        actions = session.scalars(select(AuditEntryRow.action)).all()
    assert "portal.logout" in actions


async def test_close_without_csrf_is_refused(runtime: Runtime, browser: GuestBrowser, stored):
    token = stored.bob.token
    await browser.sign_in(runtime, token, stored.bob.recipient_id)
    await browser.get(f"/m/{token}/read")
    refused = await browser.request("POST", f"/m/{token}/close", data={})
    assert refused.status_code == 403
    forged = await browser.post(f"/m/{token}/close", {"csrf_token": "0" * 64})
    assert forged.status_code == 403
    assert sessions(runtime) == 1
    assert (await browser.get(f"/m/{token}/read")).status_code == 200


async def test_reply_sent_page_can_close_too(runtime: Runtime, browser: GuestBrowser, stored):
    token = stored.bob.token
    await browser.sign_in(runtime, token, stored.bob.recipient_id)
    page = await browser.get(f"/m/{token}/replied")
    assert f'action="/m/{token}/close"' in page.text
    assert (await browser.post(f"/m/{token}/close")).status_code == 303
    assert sessions(runtime) == 0

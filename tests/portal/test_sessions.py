"""Session lifetime: an idle timeout that each request moves forward, under an absolute cap.

The clock is moved by shifting the session row's times back, as if that much time had passed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from sealgate.bootstrap import Runtime
from sealgate.store import PortalSession, utcnow
from tests.portal.conftest import SUBJECT
from tests.portal.guest import GuestBrowser


def shift_session(rt: Runtime, seconds: int) -> None:
    """Move the session's clock back by `seconds`, as if it had been idle that long."""
    delta = timedelta(seconds=seconds)
    with rt.db.begin() as session:
        for row in session.scalars(select(PortalSession)):
            row.created_at -= delta
            row.expires_at -= delta


def deadline(rt: Runtime) -> datetime:
    with rt.db.begin() as session:
        return session.scalars(select(PortalSession.expires_at)).one()


async def test_idle_session_asks_for_proof_again(runtime: Runtime, browser: GuestBrowser, stored):
    token = stored.bob.token
    await browser.sign_in(runtime, token, stored.bob.recipient_id)
    shift_session(runtime, 901)
    read = await browser.get(f"/m/{token}/read")
    assert read.status_code == 303 and read.headers["location"] == f"/m/{token}"
    assert SUBJECT not in read.text
    start = await browser.get(f"/m/{token}")
    assert start.status_code == 200
    assert f'action="/m/{token}/code"' in start.text  # the proof again, not the message
    assert (await browser.get(f"/m/{token}/html")).status_code == 403


async def test_each_request_moves_the_idle_deadline(runtime: Runtime, browser, stored):
    token = stored.bob.token
    await browser.sign_in(runtime, token, stored.bob.recipient_id)
    # 600 s idle, then a request, then 600 s more: 1200 s in all, never 900 s idle.
    shift_session(runtime, 600)
    assert (await browser.get(f"/m/{token}/read")).status_code == 200
    assert deadline(runtime) >= utcnow() + timedelta(seconds=890)
    shift_session(runtime, 600)
    assert (await browser.get(f"/m/{token}/read")).status_code == 200


async def test_requests_close_together_write_once(runtime: Runtime, browser, stored):
    token = stored.bob.token
    await browser.sign_in(runtime, token, stored.bob.recipient_id)
    shift_session(runtime, 10)
    before = deadline(runtime)
    assert (await browser.get(f"/m/{token}/read")).status_code == 200
    assert (await browser.get(f"/m/{token}/html")).status_code == 200
    assert deadline(runtime) == before  # moved by < 30 s: not worth an UPDATE
    shift_session(runtime, 31)
    assert (await browser.get(f"/m/{token}/read")).status_code == 200
    assert deadline(runtime) > before


async def test_session_ttl_caps_an_active_session(runtime: Runtime, browser, stored):
    token = stored.bob.token
    await browser.sign_in(runtime, token, stored.bob.recipient_id)
    with runtime.db.begin() as session:
        session.execute(update(PortalSession).values(created_at=utcnow() - timedelta(seconds=3590)))
    assert (await browser.get(f"/m/{token}/read")).status_code == 200
    shift_session(runtime, 11)  # used 10 s ago, but opened 3601 s ago
    assert (await browser.get(f"/m/{token}/read")).status_code == 303


async def test_a_lowered_ttl_ends_older_sessions(runtime: Runtime, browser, stored):
    """Even a fresh idle deadline does not outlive `session_ttl` counted from the opening."""
    token = stored.bob.token
    await browser.sign_in(runtime, token, stored.bob.recipient_id)
    with runtime.db.begin() as session:
        session.execute(
            update(PortalSession).values(
                created_at=utcnow() - timedelta(seconds=3601),
                expires_at=utcnow() + timedelta(seconds=600),
            )
        )
    assert (await browser.get(f"/m/{token}/read")).status_code == 303

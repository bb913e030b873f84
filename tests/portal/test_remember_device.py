""" "Remember this device" over real HTTP (issue 11, item 6): off by default; when the
organisation allows it the verification page offers it, a ticked box gives the browser a
long-lived device cookie, and a later link to that address in that browser opens without a
proof; the recipient is mailed once about the new device; off, expired, another address or a
withdrawn message ask again (or stay closed)."""

from __future__ import annotations

from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import httpx
from sqlalchemy import select, update

from sealgate.audit import entries
from sealgate.bootstrap import Runtime
from sealgate.delivery import queued_mail
from sealgate.directory import revoke_links, set_policy
from sealgate.evidence import VERIFIED
from sealgate.store import EvidenceEvent, OutboundJob, Recipient, RememberedDevice, utcnow
from tests.conftest import Sender
from tests.portal.guest import GuestBrowser, latest_code, portal_client
from tests.portal.over_http import http_browser
from tests.portal.recipients import Guest, Spec, store_for

BOB = "bob@example.org"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHECKBOX = 'name="remember_device"'


def _allow(rt: Runtime, days: int | str) -> None:
    with rt.db.begin() as session:
        set_policy(session, "Hospital", remember_device_days=days)


def _message_to(rt: Runtime, sender: Sender, address: str = BOB, **spec: str) -> Guest:
    return store_for(rt, sender, [Spec(address, **spec)], subject="Private results")[address]


async def _prove(
    rt: Runtime, browser: GuestBrowser, guest: Guest, *, remember: bool
) -> httpx.Response:
    """Ask for a code, and type it in with the box ticked (or not); the verify page first."""
    await browser.get(f"/m/{guest.token}")
    await browser.post(f"/m/{guest.token}/code")
    form = await browser.get(f"/m/{guest.token}/verify")
    assert form.status_code == 200
    fields = {"code": latest_code(rt, guest.recipient_id)}
    if remember:
        fields["remember_device"] = "yes"
    verified = await browser.post(
        f"/m/{guest.token}/verify", fields, headers={"user-agent": FIREFOX}
    )
    assert verified.status_code == 303, verified.text
    return verified


def _device_mails(rt: Runtime, address: str = BOB) -> list[EmailMessage]:
    with rt.db.begin() as session:
        jobs = session.scalars(
            select(OutboundJob).where(OutboundJob.kind == "notice", OutboundJob.rcpt_to == address)
        ).all()
    parser = BytesParser(policy=policy.default)
    mails = [parser.parsebytes(queued_mail(rt.vault, job)) for job in jobs]  # type: ignore[misc]
    return [mail for mail in mails if "new device" in str(mail["Subject"])]


def _fresh(browser: GuestBrowser) -> GuestBrowser:
    """The same browser after it was closed: only the long-lived device cookie is left."""
    again = GuestBrowser(browser.client)
    if "sealgate_device" in browser.cookies:
        again.cookies["sealgate_device"] = browser.cookies["sealgate_device"]
    return again


async def _opens_without_proof(browser: GuestBrowser, guest: Guest) -> bool:
    landing = await browser.get(f"/m/{guest.token}")
    if landing.status_code != 303:
        assert landing.status_code == 200 and "Send me a code" in landing.text
        return False
    assert landing.headers["location"] == f"/m/{guest.token}/read"
    page = await browser.get(f"/m/{guest.token}/read")
    assert page.status_code == 200 and "Private results" in page.text
    assert "sealgate_session" in browser.cookies
    assert (await browser.get(f"/m/{guest.token}/html")).status_code in (200, 403)
    return True


async def test_off_by_default_no_checkbox_and_no_cookie(runtime: Runtime, sender: Sender):
    bob = _message_to(runtime, sender)
    async with http_browser(runtime) as browser:
        await browser.ask_for_code(bob.token)
        assert CHECKBOX not in (await browser.get(f"/m/{bob.token}/verify")).text
        # Even a hand-made form that ticks the box gets no device cookie.
        verified = await _prove(runtime, browser, bob, remember=True)
        assert "sealgate_device" not in verified.headers.get("set-cookie", "")
        assert not await _opens_without_proof(_fresh(browser), bob)
    with runtime.db.begin() as session:
        assert session.scalars(select(RememberedDevice)).all() == []
    assert _device_mails(runtime) == []


async def test_remembered_browser_skips_the_proof_and_is_mailed_once(
    runtime: Runtime, sender: Sender
):
    _allow(runtime, 14)
    bob = _message_to(runtime, sender)
    async with http_browser(runtime) as browser:
        await browser.ask_for_code(bob.token)
        form = (await browser.get(f"/m/{bob.token}/verify")).text
        assert CHECKBOX in form and "Remember this device for 14 days" in form
        verified = await _prove(runtime, browser, bob, remember=True)
        [cookie] = [
            c for c in verified.headers.get_list("set-cookie") if c.startswith("sealgate_device=")
        ]
        attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "samesite=lax", "path=/", f"max-age={14 * 86400}"} <= attributes
        assert "secure" not in attributes  # the test portal is http://127.0.0.1
        secret = browser.cookies["sealgate_device"]
        assert len(secret) >= 43  # 256 bits, base64url

        # The browser is closed and the link opened again, and a new message's link too.
        assert await _opens_without_proof(_fresh(browser), bob)
        later = _message_to(runtime, sender)
        assert await _opens_without_proof(_fresh(browser), later)

    with runtime.db.begin() as session:
        [row] = session.scalars(select(RememberedDevice)).all()
        assert row.address == BOB and row.browser == "Firefox on Windows"
        assert secret not in row.token_hash and len(row.token_hash) == 64
        assert row.last_used_at is not None
        assert row.expires_at - row.created_at == timedelta(days=14)
        opened = session.get_one(Recipient, later.recipient_id).opened_at
        verified_events = session.scalars(
            select(EvidenceEvent).where(
                EvidenceEvent.recipient_id == later.recipient_id, EvidenceEvent.kind == VERIFIED
            )
        ).all()
        actions = [entry.action for entry in entries(session, action="portal.device")]
    assert opened is not None
    assert [event.details.get("via") for event in verified_events] == ["remembered_device"]
    assert actions == ["portal.device.remember", "portal.device.used", "portal.device.used"]

    [mail] = _device_mails(runtime)
    assert mail["To"] == BOB and "Hospital" in str(mail["Subject"])
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    text = " ".join(body.get_content().split())
    assert "Firefox on Windows" in text and "Hospital" in text and "UTC" in text
    assert "For 14 days" in text
    assert "Private results" not in mail.as_string() and "Body of" not in mail.as_string()
    assert "/m/" not in mail.as_string()  # no link to click in a warning mail


async def test_turned_off_expired_or_other_address_asks_again(runtime: Runtime, sender: Sender):
    _allow(runtime, 30)
    bob = _message_to(runtime, sender)
    carol = _message_to(runtime, sender, "carol@example.net")
    async with http_browser(runtime) as browser:
        await _prove(runtime, browser, bob, remember=True)
        assert await _opens_without_proof(_fresh(browser), bob)
        # Another address in the same browser proves itself.
        assert not await _opens_without_proof(_fresh(browser), carol)
        assert (await _fresh(browser).get(f"/m/{carol.token}/read")).status_code == 303

        # The organisation turns it off: the row is ignored, the proof is asked again.
        _allow(runtime, "off")
        assert not await _opens_without_proof(_fresh(browser), bob)
        read = await _fresh(browser).get(f"/m/{bob.token}/read")
        assert read.status_code == 303 and read.headers["location"] == f"/m/{bob.token}"
        # On again (shorter than the row's life): the row counts again.
        _allow(runtime, 7)
        assert await _opens_without_proof(_fresh(browser), bob)

        # An expired row asks again.
        with runtime.db.begin() as session:
            session.execute(update(RememberedDevice).values(expires_at=utcnow()))
        assert not await _opens_without_proof(_fresh(browser), bob)
        assert (await _fresh(browser).get(f"/m/{bob.token}/read")).status_code == 303


async def test_a_shortened_policy_ends_older_rows(runtime: Runtime, sender: Sender):
    _allow(runtime, 30)
    bob = _message_to(runtime, sender)
    async with http_browser(runtime) as browser:
        await _prove(runtime, browser, bob, remember=True)
        with runtime.db.begin() as session:
            row = session.scalars(select(RememberedDevice)).one()
            row.created_at -= timedelta(days=10)
        assert await _opens_without_proof(_fresh(browser), bob)
        _allow(runtime, 7)  # the row is 10 days old: too old now
        assert not await _opens_without_proof(_fresh(browser), bob)


async def test_remembering_never_opens_a_withdrawn_message(runtime: Runtime, sender: Sender):
    _allow(runtime, 30)
    bob = _message_to(runtime, sender)
    async with http_browser(runtime) as browser:
        await _prove(runtime, browser, bob, remember=True)
        with runtime.db.begin() as session:
            message_id = session.get_one(Recipient, bob.recipient_id).message_id
            revoke_links(session, message_id, utcnow(), address=BOB)
        again = _fresh(browser)
        assert (await again.get(f"/m/{bob.token}")).status_code == 410
        read = await again.get(f"/m/{bob.token}/read")
        assert read.status_code == 410 and "Private results" not in read.text
        assert "sealgate_session" not in again.cookies


async def test_access_code_page_offers_it_and_a_locked_code_stays_locked(
    runtime: Runtime, sender: Sender
):
    _allow(runtime, 30)
    bob = _message_to(runtime, sender, method="access_code", access_code="tulip-42", hint="x")
    async with http_browser(runtime) as browser:
        start = await browser.get(f"/m/{bob.token}")
        assert CHECKBOX in start.text
        opened = await browser.post(
            f"/m/{bob.token}/access-code", {"access_code": "tulip-42", "remember_device": "yes"}
        )
        assert opened.status_code == 303 and "sealgate_device" in browser.cookies
        assert await _opens_without_proof(_fresh(browser), bob)
        with runtime.db.begin() as session:
            session.execute(
                update(Recipient)
                .where(Recipient.id == bob.recipient_id)
                .values(access_code_attempts=5)
            )
        assert (await _fresh(browser).get(f"/m/{bob.token}")).status_code == 429
        assert (await _fresh(browser).get(f"/m/{bob.token}/read")).status_code == 303


async def test_the_device_cookie_is_secure_over_https(sender_factory):
    rt, sender = sender_factory(SEALGATE_WEB__BASE_URL="https://portal.example")
    _allow(rt, 30)
    bob = _message_to(rt, sender)
    async with portal_client(rt) as client:
        browser = GuestBrowser(client)
        verified = await _prove(rt, browser, bob, remember=True)
    [cookie] = [
        c for c in verified.headers.get_list("set-cookie") if c.startswith("sealgate_device=")
    ]
    assert "secure" in {part.strip().lower() for part in cookie.split(";")}

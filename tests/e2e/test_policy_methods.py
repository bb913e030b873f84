"""Every verification method over real sockets: SMS code (from a local MessageBird API
server), access code, account login with TOTP, and the contact book applying by itself once
the recipient opened a message with it."""

from __future__ import annotations

import asyncio
import re

import httpx
import pyotp
import pytest
from sqlalchemy import select

from sealgate.directory import add_account, add_contact
from sealgate.store import Contact, Recipient
from tests.conftest import make_settings
from tests.e2e.mailflow import (
    Browser,
    follow,
    link_in,
    parse,
    running_gateway,
    send,
)
from tests.lab.messagebird_lab import MessageBirdLab

PHONE = "+31612345678"


@pytest.fixture
def sms_api():
    lab = MessageBirdLab().start()
    yield lab
    lab.stop()


@pytest.fixture
async def gateway(tmp_path, database_url, tls_files, sink, sender, sms_api):
    settings = make_settings(
        tmp_path,
        database_url,
        tls_files,
        SEALGATE_DELIVERY__RELAY=f"127.0.0.1:{sink.port}",
        SEALGATE_SMS__PROVIDER="messagebird",
        SEALGATE_SMS__BASE_URL=sms_api.base_url,
        SEALGATE_SMS__API_KEY=sms_api.access_key,
    )
    async with running_gateway(settings) as rt:
        yield rt


async def open_link(browser: Browser, sink, to: str, nth: int = 1) -> httpx.Response:
    for _ in range(400):
        notes = [m for m in sink.messages if to in m.rcpt_tos and b"Secure message" in m.content]
        if len(notes) >= nth:
            break
        await asyncio.sleep(0.05)
    page = await browser.request("GET", link_in(parse(notes[nth - 1].content)))
    assert page.status_code == 200
    return page


def methods(gateway, address: str) -> list[str]:
    """The methods route chose for `address`, oldest first (recipients it has decided)."""
    with gateway.db.begin() as session:
        rows = session.scalars(
            select(Recipient)
            .where(Recipient.address == address, Recipient.state == "decided")
            .order_by(Recipient.created_at)
        ).all()
        return [row.method for row in rows]


async def test_sms_code_then_the_contact_applies_by_itself(gateway, sink, sender, sms_api):
    with gateway.db.begin() as session:
        add_contact(session, "Hospital", "pat@example.org", phone=PHONE)
    await send(
        gateway,
        sender,
        "pat@example.org",
        "First results",
        zivver_access_right=f"pat@example.org sms {PHONE}",
    )
    async with httpx.AsyncClient(timeout=20) as client:
        browser = Browser(client)
        landing = await open_link(browser, sink, "pat@example.org")
        assert "SMS" in landing.text and "••• 78" in landing.text and PHONE not in landing.text
        asked = await follow(browser, await browser.submit_form(landing))
        for _ in range(100):
            if sms_api.messages:
                break
            await asyncio.sleep(0.05)
        (sms,) = sms_api.messages
        assert sms["recipients"] == [PHONE.lstrip("+")]
        code = re.search(r"\b(\d{6})\b", sms["body"]).group(1)
        page = await follow(browser, await browser.submit_form(asked, code=code))
        assert "First results" in page.text and "Body of First results." in page.text
    with gateway.db.begin() as session:
        assert session.scalar(select(Contact.opened_at)) is not None

    # The contact was opened once: the next message uses it without any header.
    await send(gateway, sender, "pat@example.org", "Second results")
    for _ in range(200):
        if len(methods(gateway, "pat@example.org")) == 2:
            break
        await asyncio.sleep(0.05)
    assert methods(gateway, "pat@example.org") == ["access_right_sms", "sms"]


async def test_access_code_message_opens_with_the_code(gateway, sink, sender):
    await send(
        gateway,
        sender,
        "quinn@example.org",
        "Scan report",
        zivver_access_right="quinn@example.org access-code 4711-xy",
    )
    async with httpx.AsyncClient(timeout=20) as client:
        browser = Browser(client)
        landing = await open_link(browser, sink, "quinn@example.org")
        refused = await browser.submit_form(landing, access_code="0000")
        assert refused.status_code == 303 and refused.headers["location"].endswith("?error=wrong")
        wrong = await follow(browser, refused)
        assert "That access code is wrong" in wrong.text
        page = await follow(browser, await browser.submit_form(wrong, access_code="4711-xy"))
        assert "Scan report" in page.text


async def test_account_recipient_logs_in_with_totp(gateway, sink, sender):
    with gateway.db.begin() as session:
        add_account(session, "bob@hospital.example", "Hospital", "bob-secret-pw", "Bob")
    await send(gateway, sender, "bob@hospital.example", "Staff memo")
    assert methods(gateway, "bob@hospital.example") in ([], ["account"])
    async with httpx.AsyncClient(timeout=20) as client:
        browser = Browser(client)
        landing = await open_link(browser, sink, "bob@hospital.example")
        enrol = await follow(
            browser,
            await browser.submit_form(
                landing, email="bob@hospital.example", password="bob-secret-pw"
            ),
        )
        secret = re.search(r'<p class="secret"><code>([A-Z2-7 ]+)</code>', enrol.text).group(1)
        code = pyotp.TOTP(secret.replace(" ", "")).now()
        page = await follow(browser, await browser.submit_form(enrol, code=code))
        if "Staff memo" not in page.text:  # landed in the inbox: open the message from there
            href = re.search(r'href="(/inbox/[^"]+/read)"', page.text).group(1)
            page = await browser.request("GET", str(page.url.join(href)))
        assert "Staff memo" in page.text and "Body of Staff memo." in page.text
    assert methods(gateway, "bob@hospital.example") == ["account"]

"""The sender's view end to end, over real sockets: Alice submits over SMTP (STARTTLS + AUTH),
the gateway notifies Bob through the sink, Bob opens his link with a code from the mail;
Alice logs in with password + TOTP and sees him notified and opened; she withdraws his link
in the portal and his next request reads "withdrawn"; Carol's link still opens."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.config import split_hostport
from sealgate.store import EvidenceEvent, Message
from tests.conftest import make_settings
from tests.e2e.mailflow import (
    Browser,
    follow,
    link_in,
    running_gateway,
    submit,
    text_of,
    wait_for_mail,
)
from tests.e2e.test_whole_path import secure_message
from tests.lab.smtp_sink import SmtpSink
from tests.portal.guest import GuestBrowser
from tests.portal.sent import ALICE_PASSWORD, log_in_sender, section_of

BOB, CAROL = "bob@example.org", "carol@example.net"


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    server = SmtpSink()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def gateway(tmp_path, database_url, tls_files, sink, sender) -> AsyncIterator[Runtime]:
    settings = make_settings(
        tmp_path, database_url, tls_files, SEALGATE_DELIVERY__RELAY=f"127.0.0.1:{sink.port}"
    )
    async with running_gateway(settings) as rt:
        yield rt


async def _open_link(browser: Browser, sink: SmtpSink, address: str) -> str:
    """The recipient opens the notification's link, asks for a code, types it: the read
    page's URL."""
    link = link_in(await wait_for_mail(sink, address, "Secure message from"))
    landing = await browser.request("GET", link)
    asked = await follow(browser, await browser.submit_form(landing))
    code_mail = await wait_for_mail(sink, address, "code")
    match = re.search(r"\b(\d{6})\b", text_of(code_mail))
    assert match
    page = await follow(browser, await browser.submit_form(asked, code=match.group(1)))
    assert page.status_code == 200 and "Lab results 2026-11" in page.text
    return str(page.url)


async def _notified(rt: Runtime, message_id: str, wanted: int) -> None:
    """Until the worker recorded `wanted` delivered notifications."""
    for _ in range(200):
        with rt.db.begin() as session:
            details = session.scalars(
                select(EvidenceEvent.details).where(
                    EvidenceEvent.message_id == message_id,
                    EvidenceEvent.kind == "delivery_attempt",
                )
            ).all()
        if sum(1 for d in details if d.get("mail") == "notification") >= wanted:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the notifications were not recorded")


async def test_submit_open_see_opened_withdraw_and_the_link_is_withdrawn(
    gateway: Runtime, sink: SmtpSink, sender
):
    port = split_hostport(gateway.settings.submission.listen)[1]
    mail = secure_message(
        sender.address, zivver_minimum_recipient_verification="email-verification"
    )
    await asyncio.to_thread(submit, port, sender.username, sender.password, mail, [BOB, CAROL])
    async with httpx.AsyncClient(timeout=30) as client:
        bob, carol = Browser(client), Browser(client)
        bob_read = await _open_link(bob, sink, BOB)
        carol_read = await _open_link(carol, sink, CAROL)
        with gateway.db.begin() as session:
            message_id = session.scalars(select(Message.id)).one()
        await _notified(gateway, message_id, 2)

        base = gateway.settings.web.base_url
        async with httpx.AsyncClient(base_url=base, timeout=30) as own:
            alice = GuestBrowser(own)
            await log_in_sender(alice, sender.address, ALICE_PASSWORD)
            listing = await alice.get("/sent")
            assert "Lab results 2026-11" in listing.text
            assert "opened by 2 of 2 recipients" in listing.text
            page = await alice.get(f"/sent/{message_id}")
            assert page.status_code == 200
            bob_part = section_of(page.text, BOB)
            assert "Notified on " in bob_part and "1 time: first " in bob_part

            withdrawn = await alice.post(
                f"/sent/{message_id}/revoke",
                {"recipient": re.search(r'name="recipient" value="(\w+)"', bob_part).group(1)},
            )
            assert withdrawn.status_code == 303

        # At once: Bob's open session reads "withdrawn", with nothing of the message.
        closed = await bob.request("GET", bob_read)
        assert closed.status_code == 410 and "Lab results" not in closed.text
        assert "<h1>This message was withdrawn</h1>" in closed.text
        assert (await carol.request("GET", carol_read)).status_code == 200

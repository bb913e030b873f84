"""SMS codes in the portal: the masked number, the code by SMS, the limits, the org cap."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from sealgate.bootstrap import Runtime
from sealgate.store import Contact, OutboundJob, Recipient, SmsQuota, VerificationCode
from tests.conftest import Sender
from tests.lab.messagebird_lab import MessageBirdLab
from tests.portal.guest import GuestBrowser, portal_client, shift_code
from tests.portal.recipients import (
    MASKED_PHONE,
    PHONE,
    Spec,
    add_contact,
    latest_sms_code,
    outbox,
    sms_code_in,
    store_for,
)

BOB = "bob@example.org"


def sms_counted(rt: Runtime) -> int:
    """The SMS counted against the sender's organisation in its current window."""
    with rt.db.begin() as session:
        return sum(session.scalars(select(SmsQuota.sends)).all())


@pytest.mark.parametrize("method", ["sms", "access_right_sms"])
async def test_sms_code_opens_the_message(runtime: Runtime, browser, sender: Sender, method):
    guest = store_for(runtime, sender, [Spec(BOB, method, phone=PHONE)])[BOB]
    page = await browser.get(f"/m/{guest.token}")
    assert page.status_code == 200
    assert f'Send me a code by SMS to <span class="nowrap">{MASKED_PHONE}</span>' in page.text
    assert "612345678" not in page.text and "Your appointment" not in page.text
    sent = await browser.post(f"/m/{guest.token}/code")
    assert sent.status_code == 303 and sent.headers["location"] == f"/m/{guest.token}/verify"
    [sms] = outbox(runtime)
    assert sms["to"] == PHONE and "Alice Arts" in sms["text"] and "10 minutes" in sms["text"]
    with runtime.db.begin() as session:
        row = session.scalars(select(VerificationCode)).one()
        assert row.channel == "sms" and (row.sends, row.attempts) == (1, 0)
        assert row.expires_at - row.last_sent_at == timedelta(minutes=10)
        # No code mail goes out for an SMS recipient.
        assert session.scalars(select(OutboundJob)).all() == []
    form = await browser.get(f"/m/{guest.token}/verify")
    assert "We sent a code by SMS to" in form.text and MASKED_PHONE in form.text
    assert "Code from the SMS" in form.text
    verified = await browser.post(f"/m/{guest.token}/verify", {"code": sms_code_in(sms["text"])})
    assert verified.status_code == 303
    assert verified.headers["location"] == f"/m/{guest.token}/read"
    read = await browser.get(f"/m/{guest.token}/read")
    assert read.status_code == 200 and "Your appointment" in read.text
    with runtime.db.begin() as session:
        assert session.get(Recipient, guest.recipient_id).opened_at is not None
    assert sms_counted(runtime) == 1


async def test_wrong_expired_and_exhausted_sms_codes(runtime: Runtime, browser, sender):
    guest = store_for(runtime, sender, [Spec(BOB, "sms", phone=PHONE)])[BOB]
    await browser.get(f"/m/{guest.token}")
    await browser.post(f"/m/{guest.token}/code")
    code = latest_sms_code(runtime)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    first = await browser.post_and_follow(f"/m/{guest.token}/verify", {"code": wrong})
    assert first.status_code == 200 and "4 attempts left" in first.text
    for _ in range(4):
        last = await browser.post(f"/m/{guest.token}/verify", {"code": wrong})
    assert last.headers["location"] == f"/m/{guest.token}/verify?error=exhausted"
    assert "ask for a new code" in (await browser.follow(last)).text
    late = await browser.post(f"/m/{guest.token}/verify", {"code": code})
    assert late.headers["location"] == f"/m/{guest.token}/verify?error=exhausted"
    # A new SMS after the resend interval; then let it expire.
    shift_code(runtime, guest.recipient_id, last_sent_at=timedelta(seconds=31))
    assert (await browser.post(f"/m/{guest.token}/code")).headers["location"] == (
        f"/m/{guest.token}/verify"
    )
    fresh = latest_sms_code(runtime)
    shift_code(runtime, guest.recipient_id, expires_at=timedelta(seconds=601))
    expired = await browser.post_and_follow(f"/m/{guest.token}/verify", {"code": fresh})
    assert "This code has expired" in expired.text
    assert "sealgate_session" not in browser.cookies
    assert len(outbox(runtime)) == 2


async def test_sms_resend_limits(runtime: Runtime, browser, sender):
    guest = store_for(runtime, sender, [Spec(BOB, "sms", phone=PHONE)])[BOB]
    await browser.get(f"/m/{guest.token}")
    assert (await browser.post(f"/m/{guest.token}/code")).headers["location"] == (
        f"/m/{guest.token}/verify"
    )
    too_soon = await browser.post(f"/m/{guest.token}/code")
    assert too_soon.headers["location"] == f"/m/{guest.token}/verify?error=wait"
    assert "Please wait" in (await browser.follow(too_soon)).text
    for _ in range(2):
        shift_code(runtime, guest.recipient_id, last_sent_at=timedelta(seconds=31))
        assert (await browser.post(f"/m/{guest.token}/code")).headers["location"] == (
            f"/m/{guest.token}/verify"
        )
    shift_code(runtime, guest.recipient_id, last_sent_at=timedelta(seconds=31))
    too_many = await browser.post(f"/m/{guest.token}/code")
    assert too_many.headers["location"] == f"/m/{guest.token}/verify?error=too_many"
    assert "most codes allowed" in (await browser.follow(too_many)).text
    assert len(outbox(runtime)) == 3 and sms_counted(runtime) == 3


async def test_an_emailed_code_does_not_open_an_sms_recipient(runtime: Runtime, browser, sender):
    """A code row from another channel (say, the method changed) is no code for SMS."""
    guest = store_for(runtime, sender, [Spec(BOB, "sms", phone=PHONE)])[BOB]
    await browser.get(f"/m/{guest.token}")
    await browser.post(f"/m/{guest.token}/code")
    code = latest_sms_code(runtime)
    with runtime.db.begin() as session:
        session.execute(update(VerificationCode).values(channel="email"))
    refused = await browser.post_and_follow(f"/m/{guest.token}/verify", {"code": code})
    assert refused.status_code == 200 and "Ask for a code first" in refused.text


async def test_sms_recipient_without_phone_cannot_start(runtime: Runtime, browser, sender):
    guest = store_for(runtime, sender, [Spec(BOB, "sms")])[BOB]
    page = await browser.get(f"/m/{guest.token}")
    assert "cannot be opened here" in page.text and 'action="/m/' not in page.text
    await browser.get("/login")  # a page with a form, for a CSRF token
    posted = await browser.post(f"/m/{guest.token}/code")
    assert posted.status_code == 303 and posted.headers["location"] == f"/m/{guest.token}"
    assert outbox(runtime) == []


async def test_sms_marks_the_contact_opened(runtime: Runtime, browser, sender):
    contact_id = add_contact(runtime, sender, BOB, "sms", phone=PHONE)
    guest = store_for(runtime, sender, [Spec(BOB, "sms", phone=PHONE, contact_id=contact_id)])[BOB]
    await browser.get(f"/m/{guest.token}")
    await browser.post(f"/m/{guest.token}/code")
    with runtime.db.begin() as session:
        assert session.get(Contact, contact_id).opened_at is None
    await browser.post(f"/m/{guest.token}/verify", {"code": latest_sms_code(runtime)})
    with runtime.db.begin() as session:
        opened = session.get(Contact, contact_id).opened_at
        assert opened is not None
        assert session.get(Recipient, guest.recipient_id).opened_at == opened


async def test_org_hourly_sms_limit(sender_factory):
    rt, sender = sender_factory(SEALGATE_SMS__ORG_HOURLY_LIMIT="2")
    addresses = ["a@example.org", "b@example.org", "c@example.org"]
    guests = store_for(rt, sender, [Spec(a, "sms", phone=PHONE) for a in addresses])
    async with portal_client(rt) as client:
        browser = GuestBrowser(client)
        for address in addresses[:2]:
            await browser.get(f"/m/{guests[address].token}")
            assert (await browser.post(f"/m/{guests[address].token}/code")).headers["location"] == (
                f"/m/{guests[address].token}/verify"
            )
        third = guests[addresses[2]]
        await browser.get(f"/m/{third.token}")
        refused = await browser.post(f"/m/{third.token}/code")
        assert refused.headers["location"] == f"/m/{third.token}/verify?error=sms_cap"
        assert 3540 <= int(refused.headers["retry-after"]) <= 3600
        # The form reads the wait from the organisation's window: about an hour.
        capped = await browser.follow(refused)
        assert "Too many text messages were sent for this sender" in capped.text
        assert "Please try again in 60 minutes" in capped.text
        assert "We could not send a code" in capped.text
        assert len(outbox(rt)) == 2
        with rt.db.begin() as session:
            assert (
                session.scalars(
                    select(VerificationCode).where(
                        VerificationCode.recipient_id == third.recipient_id
                    )
                ).all()
                == []
            )
            # An hour after the first SMS its window is over and a new one starts.
            # (Shifted in Python: date arithmetic in SQL is not portable to SQLite.)
            for quota in session.scalars(select(SmsQuota)):
                quota.window_started_at -= timedelta(minutes=61)
        assert (await browser.post(f"/m/{third.token}/code")).headers["location"] == (
            f"/m/{third.token}/verify"
        )
        assert len(outbox(rt)) == 3


@pytest.fixture
def messagebird() -> Iterator[MessageBirdLab]:
    lab = MessageBirdLab(access_key="live_lab_key").start()
    yield lab
    lab.stop()


@pytest.fixture
async def bird_portal(sender_factory, messagebird) -> AsyncIterator[tuple]:
    rt, sender = sender_factory(
        SEALGATE_SMS__PROVIDER="messagebird",
        SEALGATE_SMS__BASE_URL=messagebird.base_url,
        SEALGATE_SMS__API_KEY="live_lab_key",
        SEALGATE_SMS__ORIGINATOR="Hospital",
        SEALGATE_SMS__TIMEOUT="1",
    )
    async with portal_client(rt) as client:
        yield rt, sender, GuestBrowser(client)


async def test_sms_code_through_messagebird(bird_portal, messagebird: MessageBirdLab):
    rt, sender, browser = bird_portal
    guest = store_for(rt, sender, [Spec(BOB, "access_right_sms", phone=PHONE)])[BOB]
    await browser.get(f"/m/{guest.token}")
    assert (await browser.post(f"/m/{guest.token}/code")).headers["location"] == (
        f"/m/{guest.token}/verify"
    )
    [message] = messagebird.messages
    assert message["recipients"] == ["31612345678"] and message["originator"] == "Hospital"
    assert outbox(rt) == []
    verified = await browser.post(
        f"/m/{guest.token}/verify", {"code": sms_code_in(message["body"])}
    )
    assert verified.status_code == 303
    assert (await browser.get(f"/m/{guest.token}/read")).status_code == 200


@pytest.mark.parametrize("failure", [401, 422, 500, "timeout"])
async def test_provider_failure_is_retryable(bird_portal, messagebird, failure, caplog):
    rt, sender, browser = bird_portal
    guest = store_for(rt, sender, [Spec(BOB, "sms", phone=PHONE)])[BOB]
    if failure == "timeout":
        messagebird.delay = 1.5
    else:
        messagebird.fail_next(failure)
    await browser.get(f"/m/{guest.token}")
    refused = await browser.post(f"/m/{guest.token}/code")
    assert refused.headers["location"] == f"/m/{guest.token}/verify?error=sms_failed"
    failed = await browser.follow(refused)
    assert "could not be sent just now" in failed.text and "We could not send a code" in failed.text
    # The organisation's count is given back; nothing of the number or code was logged.
    assert sms_counted(rt) == 0
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "612345678" not in logged and "your code" not in logged
    messagebird.delay = 0
    shift_code(rt, guest.recipient_id, last_sent_at=timedelta(seconds=31))
    assert (await browser.post(f"/m/{guest.token}/code")).headers["location"] == (
        f"/m/{guest.token}/verify"
    )
    assert sms_counted(rt) == 1

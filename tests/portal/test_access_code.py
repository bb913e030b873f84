"""Access codes: the hint on the start page, argon2 checks, and the lockout after 5."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.store import Contact, OutboundJob, PortalSession, Recipient
from tests.portal.guest import GuestBrowser
from tests.portal.recipients import Spec, add_contact, outbox, store_for

BOB = "bob@example.org"
CODE = "Tulip-2026"
HINT = 'The flower <b>"on the card"</b> & the year'
LOCKED = "Ask the sender for a new message or contact them."


@pytest.mark.parametrize("method", ["access_code", "access_right_access_code"])
async def test_access_code_opens_the_message(
    runtime: Runtime, browser: GuestBrowser, sender, method
):
    guest = store_for(runtime, sender, [Spec(BOB, method, access_code=CODE, hint=HINT)])[BOB]
    page = await browser.get(f"/m/{guest.token}")
    assert page.status_code == 200
    # The hint is shown as text: escaped, never as markup.
    assert "The flower &lt;b&gt;&#34;on the card&#34;&lt;/b&gt; &amp; the year" in page.text
    assert "<b>" not in page.text
    assert f'action="/m/{guest.token}/access-code"' in page.text
    assert '<label for="access_code">' in page.text and "Send me a code" not in page.text
    opened = await browser.post(f"/m/{guest.token}/access-code", {"access_code": f" {CODE} "})
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/m/{guest.token}/read"
    read = await browser.get(f"/m/{guest.token}/read")
    assert read.status_code == 200 and "Your appointment" in read.text
    with runtime.db.begin() as session:
        recipient = session.get(Recipient, guest.recipient_id)
        assert recipient.opened_at is not None and recipient.access_code_attempts == 0
        [stored] = session.scalars(select(PortalSession)).all()
        assert stored.recipient_id == guest.recipient_id and stored.account_id is None
        # No code mail and no SMS for an access-code recipient.
        assert session.scalars(select(OutboundJob)).all() == []
    assert outbox(runtime) == []


async def test_no_hint_no_hint_box(runtime: Runtime, browser: GuestBrowser, sender):
    guest = store_for(runtime, sender, [Spec(BOB, "access_code", access_code=CODE)])[BOB]
    page = await browser.get(f"/m/{guest.token}")
    assert "Hint from the sender" not in page.text


async def test_five_wrong_codes_lock_the_message(runtime: Runtime, browser, sender):
    guest = store_for(runtime, sender, [Spec(BOB, "access_code", access_code=CODE, hint=HINT)])[BOB]
    await browser.get(f"/m/{guest.token}")
    for left in (4, 3, 2, 1):
        refused = await browser.post(f"/m/{guest.token}/access-code", {"access_code": "tulip-2026"})
        assert refused.headers["location"] == f"/m/{guest.token}?error=wrong"
        wrong = await browser.follow(refused)
        assert wrong.status_code == 200
        plural = "attempts" if left > 1 else "attempt"
        assert f"That access code is wrong. {left} {plural} left." in wrong.text
        assert "Hint from the sender" in wrong.text
    locking = await browser.post(f"/m/{guest.token}/access-code", {"access_code": "nope"})
    assert locking.headers["location"] == f"/m/{guest.token}"
    fifth = await browser.follow(locking)
    assert fifth.status_code == 429
    assert "Too many attempts" in fifth.text and LOCKED in fifth.text
    # The earlier "wrong" page, reloaded, says how things are now: locked.
    assert LOCKED in (await browser.get(f"/m/{guest.token}?error=wrong")).text
    # Now even the right code is refused, and the start page says why.
    late = await browser.post(f"/m/{guest.token}/access-code", {"access_code": CODE})
    assert late.headers["location"] == f"/m/{guest.token}"
    assert "sealgate_session" not in browser.cookies
    start = await browser.get(f"/m/{guest.token}")
    assert start.status_code == 429 and LOCKED in start.text
    assert "sealgate_session" not in browser.cookies
    with runtime.db.begin() as session:
        assert session.get(Recipient, guest.recipient_id).access_code_attempts == 5
        assert session.get(Recipient, guest.recipient_id).opened_at is None


async def test_right_code_resets_the_count(runtime: Runtime, browser, sender):
    guest = store_for(runtime, sender, [Spec(BOB, "access_code", access_code=CODE)])[BOB]
    await browser.get(f"/m/{guest.token}")
    for _ in range(4):
        await browser.post(f"/m/{guest.token}/access-code", {"access_code": "wrong"})
    opened = await browser.post(f"/m/{guest.token}/access-code", {"access_code": CODE})
    assert opened.status_code == 303
    with runtime.db.begin() as session:
        assert session.get(Recipient, guest.recipient_id).access_code_attempts == 0


async def test_empty_code_costs_no_attempt(runtime: Runtime, browser, sender):
    guest = store_for(runtime, sender, [Spec(BOB, "access_code", access_code=CODE)])[BOB]
    await browser.get(f"/m/{guest.token}")
    for typed in ("", "   ", "x" * 201):
        refused = await browser.post(f"/m/{guest.token}/access-code", {"access_code": typed})
        assert refused.headers["location"] == f"/m/{guest.token}?error=empty"
        assert "Please type the access code" in (await browser.follow(refused)).text
    with runtime.db.begin() as session:
        assert session.get(Recipient, guest.recipient_id).access_code_attempts == 0


async def test_access_code_marks_the_contact_opened(runtime: Runtime, browser, sender):
    contact_id = add_contact(runtime, sender, BOB, "access_code", code=CODE)
    spec = Spec(BOB, "access_code", access_code=CODE, contact_id=contact_id)
    guest = store_for(runtime, sender, [spec])[BOB]
    await browser.get(f"/m/{guest.token}")
    await browser.post(f"/m/{guest.token}/access-code", {"access_code": "wrong"})
    with runtime.db.begin() as session:
        assert session.get(Contact, contact_id).opened_at is None
    await browser.post(f"/m/{guest.token}/access-code", {"access_code": CODE})
    with runtime.db.begin() as session:
        assert session.get(Contact, contact_id).opened_at is not None


async def test_an_empty_hash_never_opens(runtime: Runtime, browser, sender):
    """A row without a code hash must not fall back to anything (not even the dummy hash)."""
    guest = store_for(runtime, sender, [Spec(BOB, "access_code")])[BOB]
    page = await browser.get(f"/m/{guest.token}")
    assert "cannot be opened here" in page.text
    await browser.get("/login")
    posted = await browser.post(
        f"/m/{guest.token}/access-code", {"access_code": "sealgate-no-such-user"}
    )
    assert posted.status_code == 303 and posted.headers["location"] == f"/m/{guest.token}"
    assert "sealgate_session" not in browser.cookies


async def test_other_methods_refuse_access_codes(runtime: Runtime, browser, sender):
    guest = store_for(runtime, sender, [Spec(BOB)])[BOB]
    await browser.get(f"/m/{guest.token}")
    posted = await browser.post(f"/m/{guest.token}/access-code", {"access_code": CODE})
    assert posted.status_code == 303 and posted.headers["location"] == f"/m/{guest.token}"
    # And an access-code recipient gets no code by mail.
    coded = store_for(runtime, sender, [Spec(BOB, "access_code", access_code=CODE)])[BOB]
    await browser.get(f"/m/{coded.token}")
    asked = await browser.post(f"/m/{coded.token}/code")
    assert asked.status_code == 303 and asked.headers["location"] == f"/m/{coded.token}"
    form = await browser.get(f"/m/{coded.token}/verify")
    assert form.status_code == 303
    with runtime.db.begin() as session:
        assert session.scalars(select(OutboundJob)).all() == []

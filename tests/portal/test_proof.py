"""The portal's evidence: code sent, each verification attempt, each opening, each download."""

from __future__ import annotations

import hashlib

from sealgate.bootstrap import Runtime
from sealgate.evidence import Event, load, verify
from sealgate.store import Recipient
from tests.conftest import Sender
from tests.portal.conftest import HTML_ATTACHMENT_NAME, StoredMessage
from tests.portal.guest import GuestBrowser, latest_code
from tests.portal.recipients import PHONE, Spec, outbox, sms_code_in, store_for


def _events(rt: Runtime, recipient_id: str) -> list[Event]:
    with rt.db.begin() as session:
        message_id = session.get_one(Recipient, recipient_id).message_id
        assert verify(session, message_id) is None
        return [e for e in load(session, message_id) if e.recipient is not None]


async def test_a_guest_flow_leaves_its_events_in_order(
    runtime: Runtime, browser: GuestBrowser, stored: StoredMessage
) -> None:
    bob = stored.bob
    await browser.ask_for_code(bob.token)
    wrong = await browser.post(f"/m/{bob.token}/verify", {"code": "000000"})
    assert wrong.headers["location"] == f"/m/{bob.token}/verify?error=wrong"
    code = latest_code(runtime, bob.recipient_id)
    right = await browser.post(f"/m/{bob.token}/verify", {"code": code})
    assert right.status_code == 303
    assert (await browser.get(f"/m/{bob.token}/read")).status_code == 200
    download = await browser.get(f"/m/{bob.token}/attachments/1")
    assert download.content == stored.attachments[1]

    events = _events(runtime, bob.recipient_id)
    assert [e.kind for e in events] == [
        "code_sent",
        "verified",
        "verified",
        "opened",
        "downloaded",
    ]
    assert {e.recipient for e in events} == {"bob@example.org"}
    assert events[0].details == {"channel": "email"}
    assert events[1].details["outcome"] == "wrong" and events[1].details["left"] >= 1
    assert events[2].details == {"method": "email_verification", "outcome": "ok"}
    assert events[3].details == {"via": "link"}
    assert events[4].details == {
        "index": 1,
        "size": len(stored.attachments[1]),
        "sha256": hashlib.sha256(stored.attachments[1]).hexdigest(),
        "via": "link",
    }


async def test_no_attachment_name_or_content_in_the_evidence(
    runtime: Runtime, browser: GuestBrowser, stored: StoredMessage
) -> None:
    bob = stored.bob
    await browser.sign_in(runtime, bob.token, bob.recipient_id)
    await browser.get(f"/m/{bob.token}/read")
    await browser.get(f"/m/{bob.token}/attachments/0")
    shown = str([(e.kind, e.details) for e in _events(runtime, bob.recipient_id)])
    assert "Übersicht" not in shown and HTML_ATTACHMENT_NAME not in shown
    assert "Lab results" not in shown and "Dear Bob" not in shown


async def test_a_refused_read_records_no_opening(
    runtime: Runtime, browser: GuestBrowser, stored: StoredMessage
) -> None:
    response = await browser.get(f"/m/{stored.bob.token}/read")
    assert response.status_code == 303
    assert _events(runtime, stored.bob.recipient_id) == []


async def test_an_sms_code_sent_and_used_is_evidence_without_the_number(
    runtime: Runtime, browser: GuestBrowser, sender: Sender
) -> None:
    guest = store_for(runtime, sender, [Spec("bob@example.org", "sms", phone=PHONE)])[
        "bob@example.org"
    ]
    await browser.ask_for_code(guest.token)
    [sms] = outbox(runtime)
    await browser.post(f"/m/{guest.token}/verify", {"code": sms_code_in(sms["text"])})
    events = _events(runtime, guest.recipient_id)
    assert [(e.kind, e.details) for e in events] == [
        ("code_sent", {"channel": "sms"}),
        ("verified", {"method": "sms", "outcome": "ok"}),
    ]
    assert PHONE[-6:] not in str(events)


async def test_a_wrong_access_code_and_the_right_one(
    runtime: Runtime, browser: GuestBrowser, sender: Sender
) -> None:
    guest = store_for(runtime, sender, [Spec("bob@example.org", "access_code", access_code="T-1")])[
        "bob@example.org"
    ]
    await browser.get(f"/m/{guest.token}")
    await browser.post(f"/m/{guest.token}/access-code", {"access_code": "wrong"})
    await browser.post(f"/m/{guest.token}/access-code", {"access_code": "T-1"})
    outcomes = [e.details["outcome"] for e in _events(runtime, guest.recipient_id)]
    assert outcomes == ["wrong", "ok"]

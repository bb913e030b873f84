"""The sender's view over HTTP: the sent list, each recipient's status, withdraw and expiry
from the portal, and only ever the sender's own messages."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from sealgate.bootstrap import Runtime
from sealgate.evidence import DELIVERY_ATTEMPT, record
from sealgate.store import utcnow
from tests.portal.conftest import BOB, CAROL, SUBJECT, StoredMessage
from tests.portal.recipients import Spec, store_for
from tests.portal.sent import (
    ALICE_PASSWORD,
    BERT,
    BERT_PASSWORD,
    add_colleague,
    audit_actions,
    event_kinds,
    log_in_sender,
    message_of,
    recipient_row,
    revoked_for_everyone,
    section_of,
    served_browsers,
)
from tests.portal.test_reply import REPLY_TEXT, post_reply
from tests.route.pipeline import process_incoming

DAVE = "dave@example.com"


@pytest.fixture
async def browsers(runtime: Runtime):
    async with served_browsers(runtime, 3) as found:
        yield found


async def test_the_list_is_newest_first_paged_and_linked_from_the_inbox(runtime, sender, browsers):
    alice = browsers[0]
    for number in range(21):
        store_for(runtime, sender, [Spec(BOB)], subject=f"Letter {number:02d}")
    await log_in_sender(alice, sender.address, ALICE_PASSWORD)
    inbox = await alice.get("/inbox")
    assert 'href="/sent"' in inbox.text
    first = await alice.get("/sent")
    assert first.status_code == 200
    assert first.headers["content-security-policy"].startswith("default-src 'none'")
    assert first.text.index("Letter 20") < first.text.index("Letter 01")
    assert "Letter 00" not in first.text and 'href="/sent?page=2"' in first.text
    second = await alice.get("/sent?page=2")
    assert "Letter 00" in second.text and "Letter 01" not in second.text
    assert 'href="/sent?page=1"' in second.text and "page=3" not in second.text
    assert (await alice.get("/sent?page=zero")).status_code == 400
    assert ("portal.sent", sender.address, None) in audit_actions(runtime, "portal.sent")


async def test_without_a_session_the_sender_view_asks_to_log_in(runtime, sender, stored, browsers):
    message_id = message_of(runtime, stored.bob.recipient_id)
    for path in ("/sent", f"/sent/{message_id}", f"/sent/{message_id}/evidence"):
        answer = await browsers[0].get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/login"


async def test_the_view_shows_opened_once_the_recipient_read(
    runtime, sender, stored: StoredMessage, browsers
):
    alice, bob = browsers[0], browsers[1]
    message_id = message_of(runtime, stored.bob.recipient_id)
    await log_in_sender(alice, sender.address, ALICE_PASSWORD)
    before = await alice.get(f"/sent/{message_id}")
    assert before.status_code == 200 and SUBJECT in before.text
    assert "Not yet" in section_of(before.text, BOB)

    await bob.sign_in(runtime, stored.bob.token, stored.bob.recipient_id)
    assert (await bob.get(f"/m/{stored.bob.token}/read")).status_code == 200
    assert (await bob.get(f"/m/{stored.bob.token}/read")).status_code == 200
    assert (await bob.get(f"/m/{stored.bob.token}/attachments/1")).status_code == 200

    after = await alice.get(f"/sent/{message_id}")
    bob_part, carol_part = section_of(after.text, BOB), section_of(after.text, CAROL)
    assert "2 times: first " in bob_part and "scan.bin (" in bob_part
    assert "Code by email" in bob_part and "Not yet" in carol_part
    assert f'value="{stored.bob.recipient_id}"' in bob_part  # its withdraw button
    assert ("portal.sent.open", sender.address, message_id) in audit_actions(runtime, "portal.sent")


async def test_withdrawing_one_recipient_closes_its_link_at_once_and_undo_reopens(
    runtime, sender, stored: StoredMessage, browsers
):
    alice, bob = browsers[0], browsers[1]
    message_id = message_of(runtime, stored.bob.recipient_id)
    await bob.sign_in(runtime, stored.bob.token, stored.bob.recipient_id)
    assert (await bob.get(f"/m/{stored.bob.token}/read")).status_code == 200
    await log_in_sender(alice, sender.address, ALICE_PASSWORD)
    await alice.get(f"/sent/{message_id}")

    done = await alice.post(f"/sent/{message_id}/revoke", {"recipient": stored.bob.recipient_id})
    assert (
        done.status_code == 303 and done.headers["location"] == f"/sent/{message_id}?done=revoked"
    )
    # Bob's open session reads "withdrawn" at the very next request, downloads too.
    withdrawn = await bob.get(f"/m/{stored.bob.token}/read")
    assert withdrawn.status_code == 410 and SUBJECT not in withdrawn.text
    assert (await bob.get(f"/m/{stored.bob.token}/attachments/0")).status_code == 410
    assert recipient_row(runtime, stored.carol.recipient_id).revoked_at is None

    page = await alice.get(done.headers["location"])
    assert "The message was withdrawn" in page.text
    assert "Withdrawn by you on" in section_of(page.text, BOB)
    assert "Undo the withdrawal" in section_of(page.text, BOB)
    assert ("revoked", BOB) in event_kinds(runtime, message_id)
    assert ("portal.revoke", sender.address, message_id) in audit_actions(runtime, "portal.")

    undone = await alice.post(
        f"/sent/{message_id}/unrevoke", {"recipient": stored.bob.recipient_id}
    )
    assert undone.status_code == 303
    assert (await bob.get(f"/m/{stored.bob.token}/read")).status_code == 200
    assert ("unrevoked", BOB) in event_kinds(runtime, message_id)
    assert ("portal.unrevoke", sender.address, message_id) in audit_actions(runtime, "portal.")


async def test_withdraw_for_all_skips_a_direct_copy_that_offers_no_button(
    runtime, sender, browsers
):
    guests = store_for(
        runtime, sender, [Spec(BOB), Spec(DAVE, "nta7516", delivery="direct")], subject="Both"
    )
    message_id = message_of(runtime, guests[BOB].recipient_id)
    with runtime.db.begin() as session:
        record(
            session,
            message_id,
            DELIVERY_ATTEMPT,
            guests[DAVE].recipient_id,
            mail="direct",
            result="delivered",
            reply="250 2.0.0 queued",
            host="mx.example.com",
            ip="192.0.2.25",
            tls_version="TLSv1.3",
            cipher="TLS_AES_256_GCM_SHA384",
            level="dane",
            dane_match=True,
            verdict=["DANE-EE TLSA record matches"],
        )
    alice = browsers[0]
    await log_in_sender(alice, sender.address, ALICE_PASSWORD)
    page = await alice.get(f"/sent/{message_id}")
    dave = html.unescape(section_of(page.text, DAVE))
    assert "Delivered directly into the recipient's mailbox on" in dave
    for fact in ("mx.example.com (192.0.2.25)", "TLSv1.3, TLS_AES_256_GCM_SHA384", "DANE"):
        assert fact in dave
    assert "the certificate matches the TLSA records" in dave
    assert "cannot be withdrawn" in dave and "<button" not in dave

    refused = await alice.post(
        f"/sent/{message_id}/revoke", {"recipient": guests[DAVE].recipient_id}
    )
    assert refused.status_code == 409
    assert recipient_row(runtime, guests[DAVE].recipient_id).revoked_at is None
    everyone = await alice.post(f"/sent/{message_id}/revoke")
    assert everyone.status_code == 303
    assert recipient_row(runtime, guests[BOB].recipient_id).revoked_at is not None
    assert recipient_row(runtime, guests[DAVE].recipient_id).revoked_at is None


async def test_withdraw_for_everyone_asks_first_and_hides_it_for_good(
    runtime, sender, stored: StoredMessage, browsers
):
    alice = browsers[0]
    message_id = message_of(runtime, stored.bob.recipient_id)
    await log_in_sender(alice, sender.address, ALICE_PASSWORD)
    await alice.get(f"/sent/{message_id}")
    # Without the tick nothing happens.
    unconfirmed = await alice.post(f"/sent/{message_id}/everyone")
    assert unconfirmed.status_code == 400 and not revoked_for_everyone(runtime, message_id)
    confirm = await alice.get(f"/sent/{message_id}/everyone")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.text
    assert 'name="confirm" value="yes" required' in confirm.text
    done = await alice.post(f"/sent/{message_id}/everyone", {"confirm": "yes"})
    assert done.status_code == 303 and done.headers["location"] == "/sent?done=everyone"
    assert revoked_for_everyone(runtime, message_id)
    listing = await alice.get(done.headers["location"])
    assert "withdrawn for everyone" in listing.text and message_id not in listing.text
    for path in (f"/sent/{message_id}", f"/sent/{message_id}/evidence"):
        assert (await alice.get(path)).status_code == 404
    assert (await alice.post(f"/sent/{message_id}/unrevoke")).status_code == 404
    assert recipient_row(runtime, stored.carol.recipient_id).revoked_at is not None
    assert ("portal.revoke_everyone", sender.address, message_id) in audit_actions(
        runtime, "portal."
    )


async def test_the_expiry_is_set_refused_in_the_past_and_cleared(
    runtime, sender, stored: StoredMessage, browsers
):
    alice = browsers[0]
    message_id = message_of(runtime, stored.bob.recipient_id)
    await log_in_sender(alice, sender.address, ALICE_PASSWORD)
    await alice.get(f"/sent/{message_id}")
    day = (utcnow() + timedelta(days=10)).date()
    done = await alice.post(f"/sent/{message_id}/expiry", {"expires_on": day.isoformat()})
    assert done.status_code == 303 and done.headers["location"].endswith("?done=expiry")
    for guest in (stored.bob, stored.carol):
        assert recipient_row(runtime, guest.recipient_id).expires_at.date() == day
    page = await alice.get(f"/sent/{message_id}")
    assert f'value="{day.isoformat()}"' in page.text and "Opens until" in page.text
    past = (utcnow() - timedelta(days=1)).date().isoformat()
    for value in (past, "soon", "2026-13-45"):
        assert (
            await alice.post(f"/sent/{message_id}/expiry", {"expires_on": value})
        ).status_code == 400
    cleared = await alice.post(f"/sent/{message_id}/expiry", {"clear": "1"})
    assert cleared.status_code == 303
    assert recipient_row(runtime, stored.bob.recipient_id).expires_at is None
    kinds = [kind for kind, _ in event_kinds(runtime, message_id)]
    assert kinds.count("expiry_set") == 4
    assert [a for a, *_ in audit_actions(runtime, "portal.expire")] == ["portal.expire"] * 2


async def test_another_account_finds_nothing_and_changes_nothing(
    runtime, sender, stored: StoredMessage, browsers
):
    add_colleague(runtime)
    bert = browsers[2]
    message_id = message_of(runtime, stored.bob.recipient_id)
    await log_in_sender(bert, BERT, BERT_PASSWORD)
    listing = await bert.get("/sent")
    assert listing.status_code == 200 and SUBJECT not in listing.text
    for path in ("", "/evidence", "/evidence.pdf", "/everyone"):
        answer = await bert.get(f"/sent/{message_id}{path}")
        assert answer.status_code == 404 and SUBJECT not in answer.text
    await bert.get("/sent")
    for action, fields in (
        ("revoke", {}),
        ("revoke", {"recipient": stored.bob.recipient_id}),
        ("unrevoke", {}),
        ("expiry", {"clear": "1"}),
        ("everyone", {"confirm": "yes"}),
    ):
        assert (await bert.post(f"/sent/{message_id}/{action}", fields)).status_code == 404
    assert recipient_row(runtime, stored.bob.recipient_id).revoked_at is None
    assert not revoked_for_everyone(runtime, message_id)
    for malformed in ("0" * 32, "../../etc", "x" * 40):
        assert (await bert.get(f"/sent/{malformed}")).status_code == 404


async def test_forms_without_their_token_are_refused(runtime, sender, stored, browsers):
    alice = browsers[0]
    message_id = message_of(runtime, stored.bob.recipient_id)
    await log_in_sender(alice, sender.address, ALICE_PASSWORD)
    await alice.get(f"/sent/{message_id}")
    alice.csrf = "forged"
    for action in ("revoke", "unrevoke", "expiry", "everyone"):
        fields = {"confirm": "yes", "expires_on": "2099-01-01"}
        assert (await alice.post(f"/sent/{message_id}/{action}", fields)).status_code == 403
    assert recipient_row(runtime, stored.bob.recipient_id).revoked_at is None
    assert recipient_row(runtime, stored.bob.recipient_id).expires_at is None


@pytest.mark.parametrize(
    ("language", "heading"), [("nl", "Verzonden berichten"), ("de", "Gesendete Nachrichten")]
)
async def test_the_view_speaks_dutch_and_german(
    runtime, sender, stored, browsers, language, heading
):
    alice = browsers[0]
    await log_in_sender(alice, sender.address, ALICE_PASSWORD)
    listing = await alice.get("/sent", headers={"accept-language": language})
    assert f"<h1>{heading}</h1>" in listing.text
    message_id = message_of(runtime, stored.bob.recipient_id)
    page = await alice.get(f"/sent/{message_id}", headers={"accept-language": language})
    assert page.headers["content-language"] == language and "Withdraw" not in page.text


async def test_replies_are_listed_in_order_with_a_way_into_each(
    runtime, sender, stored: StoredMessage, browsers
):
    alice, bob, carol = browsers
    message_id = message_of(runtime, stored.bob.recipient_id)
    for guest, who in ((bob, stored.bob), (carol, stored.carol)):
        await guest.sign_in(runtime, who.token, who.recipient_id)
        await guest.get(f"/m/{who.token}/read")
        sent = await post_reply(guest, f"/m/{who.token}")
        assert sent.status_code == 303, sent.text
    process_incoming(runtime)
    await log_in_sender(alice, sender.address, ALICE_PASSWORD)
    page = await alice.get(f"/sent/{message_id}")
    assert page.text.index(f"Reply from {BOB}") < page.text.index(f"Reply from {CAROL}")
    links = re.findall(
        r'<a href="(/inbox/\w+/read)">\s*<span class="inbox-subject">Reply', page.text
    )
    assert len(links) == 2
    assert re.search(r"Replied</dt><dd>[^<]+ UTC</dd>", section_of(page.text, BOB))
    reply = await alice.get(links[0])
    assert reply.status_code == 200 and REPLY_TEXT in reply.text

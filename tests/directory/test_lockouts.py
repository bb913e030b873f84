"""unlock_recipient: which counters it resets, which it keeps, and whom it refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sealgate.directory import DirectoryError, unlock_recipient
from sealgate.store import Recipient, VerificationCode, utcnow
from tests.portal.recipients import Spec, store_for

BOB, PAT = "bob@example.org", "pat@example.org"


def _stored(runtime, sender) -> dict[str, str]:
    guests = store_for(runtime, sender, [Spec(BOB), Spec(PAT, "access_code", access_code="x-1")])
    return {address: guest.recipient_id for address, guest in guests.items()}


def test_only_the_named_recipient_is_reset(runtime, sender):
    ids = _stored(runtime, sender)
    now = utcnow()
    with runtime.db.begin() as session:
        for recipient_id in ids.values():
            row = session.get_one(Recipient, recipient_id)
            row.access_code_attempts, row.code_sends_day, row.code_sends_total = 5, 3, 7
            row.code_day_started_at = row.sender_told_at = now
            session.add(
                VerificationCode(
                    recipient_id=recipient_id,
                    code_hash="0" * 64,
                    expires_at=now + timedelta(minutes=10),
                    attempts=5,
                    sends=2,
                    last_sent_at=now,
                )
            )
        message_id = session.get_one(Recipient, ids[BOB]).message_id
    with runtime.db.begin() as session:
        result = unlock_recipient(session, message_id, "BOB@example.org", sends_per_link=30)
    assert (result.address, result.access_code_attempts, result.code_attempts) == (BOB, 5, 5)
    assert (result.code_sends_day, result.code_sends_total) == (3, 7)
    assert not result.lifetime_cap_reached
    with runtime.db.begin() as session:
        bob, pat = (session.get_one(Recipient, ids[a]) for a in (BOB, PAT))
        assert (bob.access_code_attempts, bob.code_sends_day, bob.code_sends_total) == (0, 0, 7)
        assert bob.code_day_started_at is None and bob.sender_told_at is None
        assert (pat.access_code_attempts, pat.code_sends_day) == (5, 3)
        codes = {
            c.recipient_id: (c.attempts, c.sends) for c in session.query(VerificationCode).all()
        }
    # The code's attempts are reset; its send window is not (that is the code's own limit).
    assert codes == {ids[BOB]: (0, 2), ids[PAT]: (5, 2)}


def test_no_code_row_and_the_lifetime_cap(runtime, sender):
    ids = _stored(runtime, sender)
    now = utcnow()
    with runtime.db.begin() as session:
        row = session.get_one(Recipient, ids[PAT])
        row.code_sends_total, row.sender_told_at = 30, now
        message_id = row.message_id
    with runtime.db.begin() as session:
        result = unlock_recipient(session, message_id, PAT, sends_per_link=30)
    assert result.code_attempts is None and result.lifetime_cap_reached
    assert result.to_json()["lifetime_cap_reached"] is True
    with runtime.db.begin() as session:
        row = session.get_one(Recipient, ids[PAT])
        # The sender was told about this cap once; the link stays capped, so no second mail.
        assert row.code_sends_total == 30 and row.sender_told_at is not None


def test_an_address_not_on_the_message_is_refused(runtime, sender):
    ids = _stored(runtime, sender)
    with runtime.db.begin() as session:
        message_id = session.get_one(Recipient, ids[BOB]).message_id
        with pytest.raises(DirectoryError, match="no recipient eve@example.org"):
            unlock_recipient(session, message_id, "eve@example.org", sends_per_link=30)
        with pytest.raises(DirectoryError):
            unlock_recipient(session, "no-such-message", BOB, sends_per_link=30)

"""`sealgate message unlock ID --recipient ADDR`: the counters reset, the lifetime cap kept,
the command audited, and one-line errors."""

from __future__ import annotations

import json
from datetime import timedelta

from sealgate.audit import entries
from sealgate.store import Recipient, VerificationCode, utcnow
from tests.portal.recipients import Spec, store_for

BOB = "bob@example.org"


def _locked(runtime, sender, *, total: int = 4) -> tuple[str, str]:
    """(message id, recipient id) of bob, locked every way but the lifetime cap."""
    guest = store_for(runtime, sender, [Spec(BOB, "access_code", access_code="Tulip-2026")])[BOB]
    now = utcnow()
    with runtime.db.begin() as session:
        row = session.get(Recipient, guest.recipient_id)
        row.access_code_attempts = 5
        row.code_sends_day = 3
        row.code_sends_total = total
        row.code_day_started_at = now
        row.sender_told_at = now
        session.add(
            VerificationCode(
                recipient_id=row.id,
                code_hash="0" * 64,
                expires_at=now + timedelta(minutes=10),
                attempts=5,
                sends=1,
                last_sent_at=now,
            )
        )
        return row.message_id, row.id


def _state(runtime, recipient_id: str) -> tuple:
    with runtime.db.begin() as session:
        row = session.get(Recipient, recipient_id)
        code = session.query(VerificationCode).filter_by(recipient_id=recipient_id).one()
        return (
            row.access_code_attempts,
            code.attempts,
            row.code_sends_day,
            row.code_day_started_at,
            row.code_sends_total,
            row.sender_told_at is None,
        )


def test_unlock_resets_the_counters_and_is_audited(cli, runtime, sender):
    message_id, recipient_id = _locked(runtime, sender)
    result = cli("message", "unlock", message_id, "--recipient", "Bob@Example.org", "--json")
    assert result.returncode == 0, result.stderr
    value = json.loads(result.stdout)
    assert value == {
        "message_id": message_id,
        "recipient": BOB,
        "unlocked": True,
        "before": {"access_code_attempts": 5, "code_attempts": 5, "code_sends_day": 3},
        "code_sends_total": 4,
        "lifetime_cap_reached": False,
    }
    assert _state(runtime, recipient_id) == (0, 0, 0, None, 4, True)
    with runtime.db.begin() as session:
        [entry] = [e for e in entries(session) if e.action == "message.unlock"]
    assert entry.actor_kind == "cli" and entry.object_id == message_id


def test_the_lifetime_cap_stays_and_the_text_says_so(cli, runtime, sender, settings):
    total = settings.web.code_sends_per_link
    message_id, recipient_id = _locked(runtime, sender, total=total)
    result = cli("message", "unlock", message_id, "--recipient", BOB)
    assert result.returncode == 0, result.stderr
    assert f"unlocked {BOB} (were 5 wrong access codes, 5 code attempts" in result.stdout
    assert "ask the sender to send the message again" in result.stdout
    # Counters reset; the lifetime count and the sender's notice of it are kept.
    assert _state(runtime, recipient_id) == (0, 0, 0, None, total, False)


def test_unknown_recipient_or_message_is_one_line_error(cli, runtime, sender):
    message_id, _ = _locked(runtime, sender)
    result = cli("message", "unlock", message_id, "--recipient", "eve@example.org")
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line == f"sealgate: error: no recipient eve@example.org on message {message_id}"
    result = cli("message", "unlock", "no-such-id", "--recipient", BOB, "--json")
    assert result.returncode == 1
    assert "error" in json.loads(result.stderr.strip())
    with runtime.db.begin() as session:
        assert not [e for e in entries(session) if e.action == "message.unlock"]


def test_recipient_is_required(cli):
    result = cli("message", "unlock", "some-id")
    assert result.returncode == 2 and "--recipient" in result.stderr

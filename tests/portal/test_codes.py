"""The pure rules for codes: send window, resend interval, attempts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sealgate.config import WebSettings
from sealgate.portal.codes import (
    AttemptOutcome,
    CodeLimits,
    CodeState,
    SendRefusal,
    decide_attempt,
    decide_send,
    hash_code,
    new_code,
    normalise_code,
)

LIMITS = CodeLimits.from_settings(WebSettings())
NOW = datetime(2026, 3, 3, 10, 0, 0)


def state(*, sent_ago: int = 0, sends: int = 1, attempts: int = 0) -> CodeState:
    last = NOW - timedelta(seconds=sent_ago)
    return CodeState(
        expires_at=last + LIMITS.ttl, attempts=attempts, sends=sends, last_sent_at=last
    )


def test_limits_from_settings():
    expected = CodeLimits(timedelta(seconds=600), 5, 3, timedelta(seconds=30))
    assert expected == LIMITS
    assert LIMITS.ttl_minutes == 10


def test_new_code_is_six_digits_and_varies():
    codes = {new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 190


def test_hash_is_keyed_and_bound_to_the_recipient():
    key = b"k" * 32
    assert hash_code(key, "r1", "123456") != hash_code(b"j" * 32, "r1", "123456")
    assert hash_code(key, "r1", "123456") != hash_code(key, "r2", "123456")
    assert len(hash_code(key, "r1", "123456")) == 64


def test_normalise_code():
    assert normalise_code(" 123 456 ") == "123456"
    assert normalise_code("123-456") == "123456"


def test_first_send_is_allowed():
    verdict = decide_send(None, LIMITS, NOW)
    assert verdict.allowed and verdict.sends == 1


def test_resend_waits_for_the_interval():
    verdict = decide_send(state(sent_ago=10), LIMITS, NOW)
    assert verdict.refusal is SendRefusal.WAIT and verdict.retry_after == 20
    assert decide_send(state(sent_ago=30), LIMITS, NOW).sends == 2


def test_sends_are_capped_until_the_last_code_expires():
    verdict = decide_send(state(sent_ago=31, sends=3), LIMITS, NOW)
    assert verdict.refusal is SendRefusal.TOO_MANY
    assert verdict.retry_after == 600 - 31
    after = decide_send(state(sent_ago=600, sends=3), LIMITS, NOW)
    assert after.allowed and after.sends == 1


def test_attempts():
    assert decide_attempt(None, LIMITS, NOW, matches=True).outcome is AttemptOutcome.NO_CODE
    assert decide_attempt(state(), LIMITS, NOW, matches=True).outcome is AttemptOutcome.CORRECT
    wrong = decide_attempt(state(), LIMITS, NOW, matches=False)
    assert (wrong.outcome, wrong.attempts, wrong.left) == (AttemptOutcome.WRONG, 1, 4)
    last = decide_attempt(state(attempts=4), LIMITS, NOW, matches=False)
    assert (last.outcome, last.attempts, last.left) == (AttemptOutcome.EXHAUSTED, 5, 0)
    spent = decide_attempt(state(attempts=5), LIMITS, NOW, matches=True)
    assert spent.outcome is AttemptOutcome.EXHAUSTED


def test_expired_code_is_expired_even_if_it_matches():
    verdict = decide_attempt(state(sent_ago=600), LIMITS, NOW, matches=True)
    assert verdict.outcome is AttemptOutcome.EXPIRED
    assert decide_attempt(state(sent_ago=599), LIMITS, NOW, matches=True).outcome is (
        AttemptOutcome.CORRECT
    )


def test_org_sms_wait_counts_the_last_hour():
    from sealgate.portal.codes import org_sms_wait

    assert org_sms_wait(1, NOW - timedelta(minutes=5), 2, NOW) == 0
    assert org_sms_wait(2, NOW - timedelta(minutes=50), 2, NOW) == 600
    assert org_sms_wait(3, NOW - timedelta(minutes=59, seconds=59), 2, NOW) == 1
    assert org_sms_wait(0, None, 2, NOW) == 0


def test_access_code_attempts_lock_on_the_fifth():
    from sealgate.portal.codes import decide_access_code

    assert decide_access_code(0, matches=True).outcome is AttemptOutcome.CORRECT
    assert decide_access_code(4, matches=True).attempts == 0
    wrong = decide_access_code(3, matches=False)
    assert (wrong.outcome, wrong.attempts, wrong.left) == (AttemptOutcome.WRONG, 4, 1)
    fifth = decide_access_code(4, matches=False)
    assert (fifth.outcome, fifth.attempts) == (AttemptOutcome.EXHAUSTED, 5)
    assert decide_access_code(5, matches=True).outcome is AttemptOutcome.EXHAUSTED

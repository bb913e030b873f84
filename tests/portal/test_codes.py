"""The pure rules for codes: send window, resend interval, attempts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sealgate.config import WebSettings
from sealgate.portal.codes import (
    AttemptOutcome,
    CodeLimits,
    CodeState,
    LinkCap,
    LinkSends,
    SendRefusal,
    decide_access_code,
    hash_code,
    judge_attempt,
    link_cap,
    new_code,
    normalise_code,
    org_sms_wait,
    refused_attempt,
    send_refusal,
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


def test_resend_waits_for_the_interval():
    verdict = send_refusal(state(sent_ago=10), LIMITS, NOW)
    assert verdict.refusal is SendRefusal.WAIT and verdict.retry_after == 20


def test_sends_are_capped_until_the_last_code_expires():
    verdict = send_refusal(state(sent_ago=31, sends=3), LIMITS, NOW)
    assert verdict.refusal is SendRefusal.TOO_MANY
    assert verdict.retry_after == 600 - 31


def test_attempts():
    assert refused_attempt(None, NOW).outcome is AttemptOutcome.NO_CODE
    assert refused_attempt(state(attempts=5), NOW).outcome is AttemptOutcome.EXHAUSTED
    assert refused_attempt(state(sent_ago=600), NOW).outcome is AttemptOutcome.EXPIRED
    assert judge_attempt(1, 5, matches=True).outcome is AttemptOutcome.CORRECT
    wrong = judge_attempt(1, 5, matches=False)
    assert (wrong.outcome, wrong.attempts, wrong.left) == (AttemptOutcome.WRONG, 1, 4)
    last = judge_attempt(5, 5, matches=False)
    assert (last.outcome, last.attempts, last.left) == (AttemptOutcome.EXHAUSTED, 5, 0)


def test_org_sms_wait_is_the_rest_of_the_window():
    assert org_sms_wait(NOW - timedelta(minutes=50), NOW) == 600
    assert org_sms_wait(NOW - timedelta(minutes=59, seconds=59), NOW) == 1
    assert org_sms_wait(None, NOW) == 3600


def test_access_code_attempts_lock_on_the_fifth():
    assert decide_access_code(1, matches=True).outcome is AttemptOutcome.CORRECT
    assert decide_access_code(5, matches=True).attempts == 0
    wrong = decide_access_code(4, matches=False)
    assert (wrong.outcome, wrong.attempts, wrong.left) == (AttemptOutcome.WRONG, 4, 1)
    fifth = decide_access_code(5, matches=False)
    assert (fifth.outcome, fifth.attempts) == (AttemptOutcome.EXHAUSTED, 5)


def test_link_caps_per_day_and_per_life():
    """Issue 8 item 7: a link sends at most code_sends_per_day a day and code_sends_per_link."""
    web = WebSettings()
    assert (web.code_sends_per_day, web.code_sends_per_link) == (10, 30)
    assert link_cap(LinkSends(0, 0, None), web, NOW) is None
    assert link_cap(LinkSends(9, 9, NOW - timedelta(hours=1)), web, NOW) is None
    assert link_cap(LinkSends(10, 10, NOW - timedelta(hours=1)), web, NOW) is LinkCap.DAY
    assert link_cap(LinkSends(10, 10, NOW - timedelta(hours=24)), web, NOW) is None
    assert link_cap(LinkSends(30, 0, NOW - timedelta(days=3)), web, NOW) is LinkCap.LIFETIME

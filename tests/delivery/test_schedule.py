"""Backoff doubles, is capped, jitters only downwards; expiry is a plain comparison."""

from __future__ import annotations

from datetime import datetime, timedelta

from sealgate.delivery.schedule import JITTER_FRACTION, backoff, expired, next_attempt

NOW = datetime(2026, 1, 1, 12, 0, 0)
BASE = timedelta(seconds=60)
CAP = timedelta(hours=4)


def test_backoff_doubles_from_base() -> None:
    waits = [backoff(attempts, BASE, CAP) for attempts in (1, 2, 3, 4)]
    assert waits == [timedelta(seconds=s) for s in (60, 120, 240, 480)]


def test_backoff_is_capped_and_survives_huge_attempt_counts() -> None:
    assert backoff(9, BASE, CAP) == CAP
    assert backoff(10_000, BASE, CAP) == CAP


def test_zero_or_negative_attempts_wait_the_base() -> None:
    assert backoff(0, BASE, CAP) == BASE


def test_next_attempt_adds_the_backoff_to_now() -> None:
    assert next_attempt(3, NOW, BASE, CAP) == NOW + timedelta(seconds=240)


def test_jitter_is_deterministic_per_salt_and_only_shortens() -> None:
    for attempts in range(1, 12):
        plain = backoff(attempts, BASE, CAP)
        jittered = backoff(attempts, BASE, CAP, salt="job-1")
        assert plain * (1 - JITTER_FRACTION) <= jittered <= plain
        assert jittered == backoff(attempts, BASE, CAP, salt="job-1")
    spread = {backoff(5, BASE, CAP, salt=f"job-{n}") for n in range(20)}
    assert len(spread) > 1


def test_expired_at_and_after_the_deadline() -> None:
    deadline = NOW + timedelta(days=5)
    assert not expired(deadline, NOW)
    assert expired(deadline, deadline)
    assert expired(deadline, deadline + timedelta(seconds=1))

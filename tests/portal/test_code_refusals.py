"""The code form's words for a refusal key, recomputed from the code as it stands now."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sealgate.portal.code_refusals import CodeFacts, ShownError, shown_error
from sealgate.portal.codes import CodeLimits, CodeState

NOW = datetime(2026, 12, 3, 12, 0, 0)
LIMITS = CodeLimits(
    ttl=timedelta(minutes=10), attempts=5, sends=3, resend_interval=timedelta(seconds=30)
)


def code(attempts: int = 0, sends: int = 1, sent_ago: int = 5, expires_in: int = 300) -> CodeState:
    return CodeState(
        NOW + timedelta(seconds=expires_in), attempts, sends, NOW - timedelta(seconds=sent_ago)
    )


@pytest.mark.parametrize(
    ("key", "state", "error", "waiting"),
    [
        ("wrong", code(attempts=1), "That code is wrong. 4 attempts left.", True),
        ("wrong", code(attempts=4), "That code is wrong. 1 attempt left.", True),
        # What is true now wins over what the key said then.
        ("wrong", code(attempts=5), "Too many wrong codes.", False),
        ("wrong", None, "There is no code to check.", False),
        ("wrong", code(attempts=1, expires_in=-1), "This code has expired.", False),
        ("exhausted", code(attempts=5), "Too many wrong codes.", False),
        ("no_code", None, "There is no code to check.", False),
        # A new code came since: the old refusal no longer holds, and says nothing.
        ("exhausted", code(attempts=0), None, True),
        ("expired", code(attempts=0), None, True),
        ("wrong", code(attempts=0), None, True),
        ("wait", code(sent_ago=5), "Please wait 25 seconds", True),
        ("wait", code(sent_ago=31), None, True),
        ("too_many", code(sends=3, sent_ago=31, expires_in=61), "in 2 minutes", True),
        ("too_many", code(sends=3, sent_ago=31, expires_in=-1), None, True),
        ("digits", None, "The code has 6 digits.", True),
        ("bogus", code(attempts=1), None, True),
        ("<script>", code(attempts=1), None, True),
    ],
)
def test_shown_error(key, state, error, waiting):
    shown = shown_error(key, CodeFacts(state), LIMITS, sms_limit=100, now=NOW)
    if error is None:
        assert shown == ShownError()
    else:
        assert shown.error is not None and error in shown.error
        assert shown.code_waiting is waiting


def test_sms_cap_is_read_from_the_window():
    started = NOW - timedelta(minutes=30)
    full = CodeFacts(None, started, 100)
    shown = shown_error("sms_cap", full, LIMITS, sms_limit=100, now=NOW)
    assert shown.error is not None and "in 30 minutes" in shown.error and not shown.sent
    # A window with room left, or one that is over, names no wait.
    for facts in (CodeFacts(None, started, 99), CodeFacts(None, NOW - timedelta(hours=2), 100)):
        assert shown_error("sms_cap", facts, LIMITS, sms_limit=100, now=NOW).error is None
    failed = shown_error("sms_failed", CodeFacts(None), LIMITS, sms_limit=100, now=NOW)
    assert failed.error is not None and "could not be sent" in failed.error and not failed.sent

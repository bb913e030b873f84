"""Verification codes: make one, keep only its keyed hash, and decide sends and attempts.

The decisions (`decide_send`, `decide_attempt`, `org_sms_wait`, `decide_access_code`) are
pure: they take the stored counters and `now` and return a verdict; the page flows
(`verify.py`, `code_sms.py`, `access_code.py`) read and write the rows.

The send window: a code lives `code_ttl` seconds from its latest send, and every resend
replaces it and counts against `code_sends`. The count starts again only once the latest code
has expired, so a guest can ask for at most `code_sends` codes in a row, spaced at least
`code_resend_interval` seconds apart, and then waits out the last code's lifetime. The same
limits hold for codes by mail and by SMS; an SMS also counts against its organisation's
hourly cap (`org_sms_wait`). Access codes are not sent by us, so they have only an attempt
limit, and once it is spent the message stays locked (`decide_access_code`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sealgate.config import WebSettings

CODE_DIGITS = 6


def new_code() -> str:
    """Six decimal digits from the operating system's random source, leading zeros kept."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def hash_code(key: bytes, recipient_id: str, code: str) -> str:
    """HMAC-SHA256 over recipient and code: a stolen table is useless without the key."""
    return hmac.new(key, f"{recipient_id}:{code}".encode(), hashlib.sha256).hexdigest()


def normalise_code(typed: str) -> str:
    """What the guest typed, without the spaces and dashes people put in codes."""
    return "".join(ch for ch in typed if ch not in " -\t")


@dataclass(frozen=True)
class CodeLimits:
    ttl: timedelta
    attempts: int
    sends: int
    resend_interval: timedelta

    @classmethod
    def from_settings(cls, web: WebSettings) -> CodeLimits:
        return cls(
            ttl=timedelta(seconds=web.code_ttl),
            attempts=web.code_attempts,
            sends=web.code_sends,
            resend_interval=timedelta(seconds=web.code_resend_interval),
        )

    @property
    def ttl_minutes(self) -> int:
        return math.ceil(self.ttl.total_seconds() / 60)


@dataclass(frozen=True)
class CodeState:
    """The counters of a recipient's current code, as plain values."""

    expires_at: datetime
    attempts: int
    sends: int
    last_sent_at: datetime


class SendRefusal(StrEnum):
    WAIT = "wait"  # too soon after the previous send
    TOO_MANY = "too_many"  # code_sends used up in this window


@dataclass(frozen=True)
class SendVerdict:
    """Whether a code may be sent now; `sends` is the count to store if it is."""

    refusal: SendRefusal | None
    sends: int = 0
    retry_after: int = 0

    @property
    def allowed(self) -> bool:
        return self.refusal is None


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def decide_send(state: CodeState | None, limits: CodeLimits, now: datetime) -> SendVerdict:
    """May a new code be sent to this recipient now?"""
    if state is None or now >= state.expires_at:
        return SendVerdict(None, sends=1)
    next_allowed = state.last_sent_at + limits.resend_interval
    if now < next_allowed:
        return SendVerdict(SendRefusal.WAIT, retry_after=_seconds_until(next_allowed, now))
    if state.sends >= limits.sends:
        return SendVerdict(SendRefusal.TOO_MANY, retry_after=_seconds_until(state.expires_at, now))
    return SendVerdict(None, sends=state.sends + 1)


class AttemptOutcome(StrEnum):
    NO_CODE = "no_code"  # nothing was requested (or the code was already used)
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"  # no attempts left: a new code is needed (an access code: locked)
    WRONG = "wrong"
    CORRECT = "correct"


@dataclass(frozen=True)
class AttemptVerdict:
    outcome: AttemptOutcome
    attempts: int = 0  # the count to store after this attempt
    left: int = 0


def decide_attempt(
    state: CodeState | None, limits: CodeLimits, now: datetime, *, matches: bool
) -> AttemptVerdict:
    """Judge one typed code; the attempt that uses up the last try is already `EXHAUSTED`."""
    if state is None:
        return AttemptVerdict(AttemptOutcome.NO_CODE)
    if now >= state.expires_at:
        return AttemptVerdict(AttemptOutcome.EXPIRED, attempts=state.attempts)
    if state.attempts >= limits.attempts:
        return AttemptVerdict(AttemptOutcome.EXHAUSTED, attempts=state.attempts)
    if matches:
        return AttemptVerdict(AttemptOutcome.CORRECT, attempts=state.attempts + 1)
    attempts = state.attempts + 1
    left = limits.attempts - attempts
    outcome = AttemptOutcome.WRONG if left > 0 else AttemptOutcome.EXHAUSTED
    return AttemptVerdict(outcome, attempts=attempts, left=left)


SMS_WINDOW = timedelta(hours=1)


def org_sms_wait(sent_in_window: int, oldest: datetime | None, limit: int, now: datetime) -> int:
    """Seconds until the organisation may send another SMS (0: now), under its hourly cap.

    `sent_in_window` and `oldest` describe the SMS sent in the hour before `now`; a slot frees
    when the oldest of them leaves the window.
    """
    if sent_in_window < limit:
        return 0
    if oldest is None:
        return int(SMS_WINDOW.total_seconds())
    return _seconds_until(oldest + SMS_WINDOW, now)


# Wrong access codes a recipient may type before the message is locked for good: an access
# code is agreed once with the sender, so there is no new one to ask for (unlike codes we send).
ACCESS_CODE_ATTEMPTS = 5


def decide_access_code(attempts: int, *, matches: bool) -> AttemptVerdict:
    """Judge one typed access code; the attempt that uses up the last try locks at once.

    `EXHAUSTED` here means locked for good; a right code resets the count.
    """
    if attempts >= ACCESS_CODE_ATTEMPTS:
        return AttemptVerdict(AttemptOutcome.EXHAUSTED, attempts)
    if matches:
        return AttemptVerdict(AttemptOutcome.CORRECT, 0)
    attempts += 1
    left = ACCESS_CODE_ATTEMPTS - attempts
    outcome = AttemptOutcome.WRONG if left else AttemptOutcome.EXHAUSTED
    return AttemptVerdict(outcome, attempts, left)

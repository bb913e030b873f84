"""Verification codes: make one, keep only its keyed hash, and decide sends and attempts.

The decisions (`send_refusal`, `refused_attempt`, `judge_attempt`, `org_sms_wait`,
`decide_access_code`, `link_cap`) are pure: they take counters and `now` and return a
verdict; the page flows (`verify.py`, `code_sms.py`, `access_code.py`) change the rows.

The send window: a code lives `code_ttl` seconds from its latest send, and every resend
replaces it and counts against `code_sends`. The count starts again only once the latest code
has expired, so a guest can ask for at most `code_sends` codes in a row, spaced at least
`code_resend_interval` seconds apart, and then waits out the last code's lifetime. The same
limits hold for codes by mail and by SMS; an SMS also counts against its organisation's
hourly cap (`org_sms_wait`). Access codes are not sent by us, so they have only an attempt
limit, and once it is spent the message stays locked (`decide_access_code`). A link as a whole
gets at most `code_sends_per_day` codes in 24 hours and `code_sends_per_link` in its life
(`link_cap`): 6-digit codes with 5 tries each, so at most 150 guesses over a link's 90 days.

Every counter is changed by ONE conditional UPDATE in the page flows (`… SET n = n + 1 WHERE
… AND n < :limit`; the row count decides), so parallel requests cannot all pass a check made
against the same stale value; a guess is judged only once its attempt is counted. The
functions here say why a refused UPDATE matched nothing and judge a counted attempt.
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


def send_allowed(state: CodeState, limits: CodeLimits, now: datetime) -> bool:
    """The window rule of `code_rows.take_code_send`'s WHERE, for words shown after the fact:
    the code expired, or the resend interval passed and the window has sends left."""
    if now >= state.expires_at:
        return True
    return state.last_sent_at <= now - limits.resend_interval and state.sends < limits.sends


def send_refusal(state: CodeState, limits: CodeLimits, now: datetime) -> SendVerdict:
    """Why a send was refused (the conditional UPDATE of `code_rows.take_code_send` matched no
    row): asked too soon, or `code_sends` used up until the latest code expires."""
    next_allowed = state.last_sent_at + limits.resend_interval
    if now < state.expires_at and now < next_allowed:
        return SendVerdict(SendRefusal.WAIT, retry_after=_seconds_until(next_allowed, now))
    return SendVerdict(SendRefusal.TOO_MANY, retry_after=_seconds_until(state.expires_at, now))


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


def refused_attempt(state: CodeState | None, now: datetime) -> AttemptVerdict:
    """Why an attempt could not be counted (the conditional UPDATE matched no row)."""
    if state is None:
        return AttemptVerdict(AttemptOutcome.NO_CODE)
    if now >= state.expires_at:
        return AttemptVerdict(AttemptOutcome.EXPIRED, attempts=state.attempts)
    return AttemptVerdict(AttemptOutcome.EXHAUSTED, attempts=state.attempts)


def judge_attempt(attempts: int, limit: int, *, matches: bool) -> AttemptVerdict:
    """Judge a typed code whose attempt is already counted (`attempts` includes it).

    The wrong attempt that uses up the last try is already `EXHAUSTED`.
    """
    if matches:
        return AttemptVerdict(AttemptOutcome.CORRECT, attempts=attempts)
    left = max(0, limit - attempts)
    outcome = AttemptOutcome.WRONG if left > 0 else AttemptOutcome.EXHAUSTED
    return AttemptVerdict(outcome, attempts=attempts, left=left)


SMS_WINDOW = timedelta(hours=1)


def org_sms_wait(window_started_at: datetime | None, now: datetime) -> int:
    """Seconds until the organisation's full SMS window ends and a new one may start."""
    if window_started_at is None:
        return int(SMS_WINDOW.total_seconds())
    return _seconds_until(window_started_at + SMS_WINDOW, now)


# Wrong access codes a recipient may type before the message is locked for good: an access
# code is agreed once with the sender, so there is no new one to ask for (unlike codes we send).
ACCESS_CODE_ATTEMPTS = 5


def decide_access_code(attempts: int, *, matches: bool) -> AttemptVerdict:
    """Judge one typed access code whose attempt is counted (`attempts` includes it).

    `EXHAUSTED` here means locked for good: the attempt that uses up the last try locks at
    once. A right code resets the count (to 0, stored by the page flow).
    """
    if matches:
        return AttemptVerdict(AttemptOutcome.CORRECT, 0)
    return judge_attempt(attempts, ACCESS_CODE_ATTEMPTS, matches=False)


class LinkCap(StrEnum):
    DAY = "day"  # code_sends_per_day used up in the 24 hours since the first of them
    LIFETIME = "lifetime"  # code_sends_per_link used up: this link sends no more codes


LINK_DAY = timedelta(days=1)


@dataclass(frozen=True)
class LinkSends:
    """The codes sent for one link so far (recipients.code_sends_*), as plain values."""

    total: int
    day: int
    day_started_at: datetime | None


def link_cap(sends: LinkSends, web: WebSettings, now: datetime) -> LinkCap | None:
    """Which cap stops another code for this link now (None: a code may be sent)."""
    if sends.total >= web.code_sends_per_link:
        return LinkCap.LIFETIME
    started = sends.day_started_at
    if started is not None and now < started + LINK_DAY and sends.day >= web.code_sends_per_day:
        return LinkCap.DAY
    return None

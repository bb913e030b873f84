"""When to try a deferred mail again, and when to give up on it (pure).

Backoff doubles with every failed attempt (Postfix's `minimal_backoff_time` doubling up to
`maximal_backoff_time`), so a receiving server that is down for a day is not hammered, and a
short hiccup is retried soon. A small jitter, derived from a salt such as the job id, keeps the
many mails that failed together (a relay restart) from all coming back in the same second.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

# The jitter shortens a delay by up to this fraction; it never lengthens one past `maximum`.
JITTER_FRACTION = 0.1

# 2**62 seconds is far past any cap; stopping there keeps the float arithmetic finite.
_MAX_DOUBLINGS = 62


def _jitter(salt: str, attempts: int) -> float:
    """A number in [0, 1) that depends only on its arguments."""
    digest = hashlib.sha256(f"{salt}:{attempts}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def backoff(attempts: int, base: timedelta, maximum: timedelta, salt: str = "") -> timedelta:
    """The wait after the `attempts`-th failed attempt: base * 2**(attempts-1), capped."""
    doublings = min(max(attempts, 1) - 1, _MAX_DOUBLINGS)
    seconds = min(base.total_seconds() * 2.0**doublings, maximum.total_seconds())
    if salt:
        seconds *= 1.0 - JITTER_FRACTION * _jitter(salt, attempts)
    return timedelta(seconds=seconds)


def next_attempt(
    attempts: int, now: datetime, base: timedelta, maximum: timedelta, salt: str = ""
) -> datetime:
    """When to try again after the `attempts`-th failed attempt (attempts counts from 1)."""
    return now + backoff(attempts, base, maximum, salt)


def expired(expires_at: datetime, now: datetime) -> bool:
    """True once a mail has been in the queue for its whole lifetime: bounce, stop retrying."""
    return now >= expires_at

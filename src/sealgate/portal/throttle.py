"""Failed account log-ins, counted per email address, and the lockout that follows.

Every failed step (a wrong password or a wrong second-factor code) counts against the email
address typed (or the account's own address at the second step). After `max_failures`
failures within `window`, that address is locked for `lockout`: no password is checked and no
code is tried until it ends. Only a complete login (password and second factor) clears the
count, so knowing the password does not buy more guesses at the second factor.

Unknown addresses are counted exactly like real ones, so a lockout says nothing about
whether an account exists. The state lives in this process's memory (like submission's
`AuthThrottle`): a restart forgets it, and several portal processes would each count on their
own. The time comes in as an argument (seconds, monotonic).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field

LOGIN_MAX_FAILURES = 10
LOGIN_WINDOW = 15 * 60.0
LOGIN_LOCKOUT = 15 * 60.0
# Beyond this many tracked addresses the least recently failed ones are forgotten first.
TRACKED_ADDRESSES_MAX = 100_000


@dataclass
class _Failures:
    times: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


class LoginThrottle:
    def __init__(
        self,
        max_failures: int = LOGIN_MAX_FAILURES,
        window: float = LOGIN_WINDOW,
        lockout: float = LOGIN_LOCKOUT,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.lockout = lockout
        self._by_address: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(address: str) -> str:
        return address.strip().lower()

    def locked_for(self, address: str, now: float) -> int:
        """Seconds this address stays locked (0: not locked)."""
        with self._lock:
            failures = self._by_address.get(self.key(address))
            if failures is None or failures.locked_until <= now:
                return 0
            return _whole_seconds(failures.locked_until - now)

    def failed(self, address: str, now: float) -> int:
        """Count a failure; returns the seconds of lockout it started (0: none)."""
        key = self.key(address)
        with self._lock:
            failures = self._by_address.pop(key, None) or _Failures()
            # Re-inserting keeps the dict ordered by latest failure, for the eviction below.
            self._by_address[key] = failures
            while failures.times and failures.times[0] <= now - self.window:
                failures.times.popleft()
            failures.times.append(now)
            if len(failures.times) >= self.max_failures:
                failures.times.clear()
                failures.locked_until = now + self.lockout
            while len(self._by_address) > TRACKED_ADDRESSES_MAX:
                del self._by_address[next(iter(self._by_address))]
            if failures.locked_until > now:
                return _whole_seconds(failures.locked_until - now)
            return 0

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._by_address.pop(self.key(address), None)


def _whole_seconds(delta: float) -> int:
    """Seconds to wait, rounded up; (now + 900) - now may come out as 900.0000000001."""
    return max(1, math.ceil(round(delta, 3)))

"""AUTH for submission: argon2 credential checks, a growing delay and a lockout per client.

The per-client state lives in this process's memory (`AuthThrottle`). That is enough for one
`sealgate serve` process: a restart forgets it, and several processes behind one address would
each count on their own. A client is its IPv4 address, or its IPv6 /64 (one host usually owns a
whole /64, so counting single IPv6 addresses would let it rotate through them).

Failures are counted in a sliding window of `auth_lockout_seconds`; a success does not reset
the count, so a client holding one valid credential cannot interleave logins to keep guessing
at others. Each failure is answered only after a delay that grows with the count, and once
`auth_max_failures` failures fall inside the window the client is locked out: AUTH is refused
without checking anything until the oldest counted failure leaves the window.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections import deque
from dataclasses import dataclass

from sealgate.directory import verify_credential
from sealgate.store import Database

log = logging.getLogger("sealgate.submission")

# The delay before a 535 grows by this much per counted failure, up to the cap.
FAILURE_DELAY_STEP = 0.5
FAILURE_DELAY_CAP = 5.0
# At most this many argon2 checks run at once: each costs tens of MB and a CPU for a while,
# and anyone who completes STARTTLS can ask for one.
VERIFY_CONCURRENCY = 4
# Beyond this many tracked clients, clients with no failure in the window are forgotten first.
TRACKED_CLIENTS_MAX = 100_000


@dataclass(frozen=True)
class Submitter:
    """Who may submit: an organisation, and what proved it (a credential, or SPF).

    AUTH makes a submitter for the whole session; SPF one for a single transaction, from the
    client address and the MAIL FROM domain (`credential_id` is then None).
    """

    org_id: int
    credential_id: int | None
    username: str


def client_key(host: str) -> str:
    """The key failures are counted under: the IPv4 address, or the IPv6 /64."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


class AuthThrottle:
    """Failed AUTH attempts per client in a sliding window; `now` is a monotonic clock reading."""

    def __init__(self, max_failures: int, window_seconds: float) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, client: str, now: float) -> deque[float]:
        failures = self._failures.get(client, deque())
        while failures and failures[0] <= now - self.window_seconds:
            failures.popleft()
        if not failures:
            self._failures.pop(client, None)
        return failures

    def locked(self, client: str, now: float) -> bool:
        return len(self._recent(client, now)) >= self.max_failures

    def record_failure(self, client: str, now: float) -> float:
        """Count a failure; returns how long to wait before saying so."""
        if len(self._failures) >= TRACKED_CLIENTS_MAX:
            self._forget_stale(now)
        failures = self._recent(client, now)
        failures.append(now)
        self._failures[client] = failures
        return min(FAILURE_DELAY_STEP * len(failures), FAILURE_DELAY_CAP)

    def _forget_stale(self, now: float) -> None:
        for client in list(self._failures):
            self._recent(client, now)
        # Still full: every tracked client failed recently. Dropping the oldest half bounds
        # memory; those clients lose their count, which an attacker with that many addresses
        # could have had anyway.
        if len(self._failures) >= TRACKED_CLIENTS_MAX:
            oldest = sorted(self._failures, key=lambda key: self._failures[key][-1])
            for client in oldest[: len(oldest) // 2]:
                del self._failures[client]


class Authenticator:
    """Checks AUTH PLAIN/LOGIN credentials for the server; one instance shared by all sessions."""

    def __init__(self, db: Database, throttle: AuthThrottle) -> None:
        self.db = db
        self.throttle = throttle
        self._verifying = asyncio.Semaphore(VERIFY_CONCURRENCY)

    def locked(self, host: str) -> bool:
        return self.throttle.locked(client_key(host), time.monotonic())

    async def authenticate(self, host: str, login: bytes, password: bytes) -> Submitter | None:
        """The submitter these credentials prove, or None after the failure delay."""
        client = client_key(host)
        async with self._verifying:
            # Checked again: the client may have been locked out while this attempt waited.
            locked = self.throttle.locked(client, time.monotonic())
            submitter = None if locked else await asyncio.to_thread(self._verify, login, password)
        if submitter is not None:
            log.info("auth ok client=%s username=%s", host, submitter.username)
            return submitter
        delay = self.throttle.record_failure(client, time.monotonic())
        log.warning("auth failed client=%s delay=%.1fs", host, delay)
        await asyncio.sleep(delay)
        return None

    def _verify(self, login: bytes, password: bytes) -> Submitter | None:
        try:
            username, secret = login.decode("utf-8"), password.decode("utf-8")
        except UnicodeDecodeError:
            return None
        with self.db.begin() as session:
            credential = verify_credential(session, username, secret)
        if credential is None:
            return None
        return Submitter(credential.org_id, credential.id, credential.username)

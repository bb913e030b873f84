"""AUTH for submission: HMAC credential checks, a growing delay and lockouts in the database.

Failures are counted per (client, username), per username and per client (lockout.py has
the rules and the SQL); every process of a deployment, and the next start, see the same
counts. A client is its IPv4 address, or its IPv6 /64 (one host usually owns a whole /64, so
counting single IPv6 addresses would let it rotate through them).

An attempt claims its failure slots, is checked and settled in one transaction: a right
credential rolls the claims back (a login writes nothing), a wrong one commits them. A
credential row still in the argon2 form is checked outside that transaction (claim
committed, check, give back), so its slow check never holds the claims' locks.

A success does not reset a count, so a client holding one valid credential cannot interleave
logins to keep guessing at others. Each failure is answered only after a delay that grows with
the (client, username) count; a key at its limit refuses AUTH (454) without checking anything
until its window ends.
"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import logging
from dataclasses import dataclass
from datetime import timedelta

from sealgate.directory import checked_by_argon2, verify_credential
from sealgate.store import Database, utcnow
from sealgate.submission import lockout

log = logging.getLogger("sealgate.submission")

# The delay before a 535 grows by this much per counted failure, up to the cap.
FAILURE_DELAY_STEP = 0.5
FAILURE_DELAY_CAP = 5.0
# At most this many checks run at once. A generated credential costs one HMAC, but a row
# from before the HMAC form costs an argon2 check (tens of MB and a CPU for a while) until
# its first login rewrites it, and anyone who completes STARTTLS can ask for one. The
# failure slots are claimed inside this limit, so a burst of right logins holds at most this
# many slots at a time.
VERIFY_CONCURRENCY = 4
# What `_check_in_claim` returns for a credential row that needs the slow (argon2) check.
_SLOW_CHECK = object()
# Counters whose window has passed are deleted after this many failures of this process.
PURGE_EVERY_FAILURES = 256


class AuthRefusal(enum.Enum):
    """Why AUTH did not succeed."""

    FAILED = "failed"  # wrong credentials: 535
    LOCKED_USERNAME = "locked-username"  # this username (from here or anywhere) is locked: 454
    LOCKED_CLIENT = "locked-client"  # this client address is locked: 454


@dataclass(frozen=True)
class AuthLimits:
    """The [submission] auth_* settings."""

    per_client_username: int
    per_username: int
    per_client: int
    window: timedelta


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


class Authenticator:
    """Checks AUTH PLAIN/LOGIN credentials for the server; one instance shared by all sessions."""

    def __init__(self, db: Database, limits: AuthLimits, credential_key: bytes) -> None:
        self.db = db
        self.credential_key = credential_key
        self.limits = limits
        self._verifying = asyncio.Semaphore(VERIFY_CONCURRENCY)
        self._failures_since_purge = 0

    async def client_locked(self, host: str) -> bool:
        """True when the client address is at its limit: AUTH is refused before anything else."""
        key = lockout.client_failure_key(client_key(host), self.limits.per_client)

        def count() -> int:
            with self.db.begin() as session:
                return lockout.failures(session, key, utcnow(), self.limits.window)

        return await asyncio.to_thread(count) >= key.limit

    async def authenticate(
        self, host: str, login: bytes, password: bytes
    ) -> Submitter | AuthRefusal:
        """The submitter these credentials prove, or why not (a failure after its delay)."""
        keys = lockout.failure_keys(
            client_key(host),
            login.decode("utf-8", errors="surrogateescape"),
            per_client_username=self.limits.per_client_username,
            per_username=self.limits.per_username,
            per_client=self.limits.per_client,
        )
        async with self._verifying:
            checked = await asyncio.to_thread(self._check_in_claim, keys, login, password)
            if checked is _SLOW_CHECK:
                checked = await self._check_slowly(keys, login, password)
            if isinstance(checked, lockout.FailureKey):
                log.warning("auth refused, locked client=%s scope=%s", host, checked.scope)
                if checked.scope == "client":
                    return AuthRefusal.LOCKED_CLIENT
                return AuthRefusal.LOCKED_USERNAME
            submitter = checked if isinstance(checked, Submitter) else None
        if submitter is not None:
            log.info("auth ok client=%s username=%s", host, submitter.username)
            return submitter
        delay = await asyncio.to_thread(self._failed, keys[0])
        log.warning("auth failed client=%s delay=%.1fs", host, delay)
        await asyncio.sleep(delay)
        return AuthRefusal.FAILED

    def _check_in_claim(
        self, keys: tuple[lockout.FailureKey, ...], login: bytes, password: bytes
    ) -> Submitter | lockout.FailureKey | object | None:
        """Claim the slots, check the credential and settle, in one transaction.

        A right credential rolls its claims back, so a login writes nothing and waits for no
        fsync; a wrong one commits them as the failures they are. The claims' locks are held
        only for an HMAC check. A row still in the argon2 form returns `_SLOW_CHECK`: that
        check takes a CPU for a while and must not run while the claims hold their locks.
        """
        try:
            username, secret = login.decode("utf-8"), password.decode("utf-8")
        except UnicodeDecodeError:
            username, secret = "", None
        session = self.db.sessions()
        try:
            if username and checked_by_argon2(session, username):
                session.rollback()
                return _SLOW_CHECK
            locked = lockout.claim(session, keys, utcnow(), self.limits.window)
            if locked is not None:
                session.rollback()
                return locked
            credential = None
            if secret is not None:
                credential = verify_credential(session, username, secret, key=self.credential_key)
            if credential is None:
                session.commit()
                return None
            session.rollback()
            return Submitter(credential.org_id, credential.id, credential.username)
        finally:
            session.close()

    async def _check_slowly(
        self, keys: tuple[lockout.FailureKey, ...], login: bytes, password: bytes
    ) -> Submitter | lockout.FailureKey | None:
        """Claim (committed), check outside any transaction, give back on success."""
        locked = await asyncio.to_thread(self._claim, keys)
        if locked is not None:
            return locked
        submitter = await asyncio.to_thread(self._verify, login, password)
        if submitter is not None:
            await asyncio.to_thread(self._give_back, keys)
        return submitter

    def _claim(self, keys: tuple[lockout.FailureKey, ...]) -> lockout.FailureKey | None:
        session = self.db.sessions()
        try:
            locked = lockout.claim(session, keys, utcnow(), self.limits.window)
            if locked is None:
                session.commit()
            else:
                session.rollback()
            return locked
        finally:
            session.close()

    def _give_back(self, keys: tuple[lockout.FailureKey, ...]) -> None:
        with self.db.begin() as session:
            lockout.give_back(session, keys, utcnow(), self.limits.window)

    def _failed(self, key: lockout.FailureKey) -> float:
        """The delay before saying 535; now and then, forget counters whose window passed."""
        now = utcnow()
        with self.db.begin() as session:
            count = lockout.failures(session, key, now, self.limits.window)
            self._failures_since_purge += 1
            if self._failures_since_purge >= PURGE_EVERY_FAILURES:
                self._failures_since_purge = 0
                lockout.purge(session, now, self.limits.window)
        return min(FAILURE_DELAY_STEP * max(count, 1), FAILURE_DELAY_CAP)

    def _verify(self, login: bytes, password: bytes) -> Submitter | None:
        try:
            username, secret = login.decode("utf-8"), password.decode("utf-8")
        except UnicodeDecodeError:
            return None
        with self.db.begin() as session:
            credential = verify_credential(session, username, secret, key=self.credential_key)
        if credential is None:
            return None
        return Submitter(credential.org_id, credential.id, credential.username)

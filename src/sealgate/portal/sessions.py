"""Portal sessions: a 256-bit secret in the cookie, its SHA-256 in `portal_sessions`.

A session belongs either to one recipient (a guest who proved a code) or to an account (a
login with password and second factor), which may read every message addressed to its
email. Opening a new session deletes the browser's previous session row, so a cookie set
before the login (session fixation) never survives it.

A session ends after `[web] session_idle_timeout` without a request, and at the latest
`[web] session_ttl` after it opened: a browser left open on a shared computer does not keep
the message readable. `expires_at` is the idle deadline (capped by the absolute one), and
each request that uses the session moves it forward; that is one UPDATE, written at most once
per `TOUCH_INTERVAL` so that a page with its frame and attachments does not write each time.
The cookie itself is a browser-session cookie (cookies.py), so closing the browser ends it too.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sealgate.config import WebSettings
from sealgate.mail import address_key
from sealgate.store import Account, PortalSession

# The idle deadline moves forward only when it would move by at least this much.
TOUCH_INTERVAL = timedelta(seconds=30)


@dataclass(frozen=True)
class Lifetime:
    """How long a session lives: `idle` without a request, `ttl` at most in all."""

    idle: timedelta
    ttl: timedelta

    @classmethod
    def of(cls, web: WebSettings) -> Lifetime:
        return cls(timedelta(seconds=web.session_idle_timeout), timedelta(seconds=web.session_ttl))

    def deadline(self, created_at: datetime, now: datetime) -> datetime:
        """When a session opened at `created_at` and last used `now` ends."""
        return min(created_at + self.ttl, now + self.idle)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def open_session(
    session: Session,
    *,
    recipient_id: str | None = None,
    account_id: int | None = None,
    previous: str | None,
    now: datetime,
    lifetime: Lifetime,
) -> str:
    """Start a session for a recipient or an account; returns the secret for the cookie."""
    if (recipient_id is None) == (account_id is None):
        raise ValueError("a portal session belongs to one recipient or to one account")
    if previous is not None:
        session.execute(delete(PortalSession).where(PortalSession.session_hash == _hash(previous)))
    # Expired sessions of the same owner are of no use to anyone; drop them while we are here.
    owner = (
        PortalSession.recipient_id == recipient_id
        if recipient_id is not None
        else PortalSession.account_id == account_id
    )
    session.execute(delete(PortalSession).where(owner, PortalSession.expires_at <= now))
    secret = secrets.token_urlsafe(32)
    session.add(
        PortalSession(
            session_hash=_hash(secret),
            recipient_id=recipient_id,
            account_id=account_id,
            created_at=now,
            expires_at=lifetime.deadline(now, now),
        )
    )
    return secret


def close_session(session: Session, secret: str | None) -> None:
    """Forget a session (log out); unknown secrets are ignored."""
    if secret is not None:
        session.execute(delete(PortalSession).where(PortalSession.session_hash == _hash(secret)))


@dataclass(frozen=True)
class Reader:
    """Who a live session cookie belongs to: a guest's recipient, or an active account."""

    recipient_id: str | None = None
    account_id: int | None = None
    account_email: str = ""

    def may_read(self, recipient_id: str, address: str) -> bool:
        """A guest reads their own recipient; an account reads whatever came to its email."""
        if self.recipient_id is not None:
            return self.recipient_id == recipient_id
        return bool(self.account_email) and self.account_email == address_key(address)


def session_reader(
    session: Session, secret: str | None, now: datetime, lifetime: Lifetime
) -> Reader | None:
    """The reader behind a live session cookie, or None (also for a disabled account).

    A live session counts as used: its idle deadline moves forward (see the module text).
    """
    if secret is None:
        return None
    row = session.execute(
        select(
            PortalSession.id,
            PortalSession.created_at,
            PortalSession.expires_at,
            PortalSession.recipient_id,
            PortalSession.account_id,
            Account.email,
            Account.active,
        )
        .outerjoin(Account, Account.id == PortalSession.account_id)
        .where(
            PortalSession.session_hash == _hash(secret),
            PortalSession.expires_at > now,
            # Also when the ttl was lowered since the session opened.
            PortalSession.created_at > now - lifetime.ttl,
        )
    ).one_or_none()
    if row is None:
        return None
    session_id, created_at, expires_at, recipient_id, account_id, email, active = row
    deadline = lifetime.deadline(created_at, now)
    if deadline - expires_at >= TOUCH_INTERVAL:
        session.execute(
            update(PortalSession).where(PortalSession.id == session_id).values(expires_at=deadline)
        )
    if account_id is not None:
        return Reader(account_id=account_id, account_email=address_key(email)) if active else None
    return Reader(recipient_id=recipient_id)

"""Portal sessions: a 256-bit secret in the cookie, its SHA-256 in `portal_sessions`.

A session belongs to exactly one recipient; opening a new one deletes the browser's previous
session row, so a cookie set before the login (session fixation) never survives it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sealgate.store import PortalSession


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def open_session(
    session: Session,
    *,
    recipient_id: str,
    previous: str | None,
    now: datetime,
    ttl: timedelta,
) -> str:
    """Start a session for `recipient_id`; returns the secret for the cookie."""
    if previous is not None:
        session.execute(delete(PortalSession).where(PortalSession.session_hash == _hash(previous)))
    # Expired sessions of this recipient are of no use to anyone; drop them while we are here.
    session.execute(
        delete(PortalSession).where(
            PortalSession.recipient_id == recipient_id, PortalSession.expires_at <= now
        )
    )
    secret = secrets.token_urlsafe(32)
    session.add(
        PortalSession(
            session_hash=_hash(secret),
            recipient_id=recipient_id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return secret


def session_recipient(session: Session, secret: str | None, now: datetime) -> str | None:
    """The recipient id a live session cookie belongs to, or None."""
    if secret is None:
        return None
    return session.scalars(
        select(PortalSession.recipient_id).where(
            PortalSession.session_hash == _hash(secret), PortalSession.expires_at > now
        )
    ).one_or_none()

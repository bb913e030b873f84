"""Admin console sessions: a 256-bit secret in the `sealgate_admin` cookie, its SHA-256 in
`admin_sessions`, and the one-time flash a POST hands to the page it redirects to.

Kept apart from the portal's sessions: a portal (inbox) login never opens the console, and
the console cookie is scoped to /admin (HttpOnly, Secure, SameSite=Strict), so it is never
sent to the portal's pages. Lifetime as the portal's (`[web] session_idle_timeout` without a
request, `[web] session_ttl` at most); the idle deadline moves on at most every 30 seconds.
A session counts only while its account is active, has a second factor and holds a role.

The flash is sealed (AES-256-GCM under `rt.subkey("admin-flash")`, the session id as
associated data) and cleared by the one read that shows it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from starlette.responses import Response

from sealgate.admin.grants import grants_of
from sealgate.admin.principal import Principal
from sealgate.portal import Lifetime
from sealgate.store import Account, AdminSession, Organisation

ADMIN_COOKIE = "sealgate_admin"
ADMIN_PATH = "/admin"
FLASH_KEY_PURPOSE = "admin-flash"
TOUCH_INTERVAL = timedelta(seconds=30)
_NONCE_BYTES = 12


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Admin:
    """The logged-in admin of a request: who, their own organisation, and their roles."""

    session_id: int
    account_id: int
    email: str
    org_id: int
    org_name: str
    principal: Principal


def open_admin_session(
    session: Session, account_id: int, previous: str | None, now: datetime, lifetime: Lifetime
) -> str:
    """A new session for the account (the browser's previous one ends); the cookie secret."""
    if previous is not None:
        session.execute(delete(AdminSession).where(AdminSession.session_hash == _hash(previous)))
    session.execute(
        delete(AdminSession).where(
            AdminSession.account_id == account_id, AdminSession.expires_at <= now
        )
    )
    secret = secrets.token_urlsafe(32)
    session.add(
        AdminSession(
            session_hash=_hash(secret),
            account_id=account_id,
            created_at=now,
            expires_at=lifetime.deadline(now, now),
        )
    )
    return secret


def close_admin_session(session: Session, secret: str | None) -> None:
    if secret is not None:
        session.execute(delete(AdminSession).where(AdminSession.session_hash == _hash(secret)))


def end_admin_sessions(session: Session, account_id: int) -> None:
    """Every console session of the account (its second factor was reset)."""
    session.execute(delete(AdminSession).where(AdminSession.account_id == account_id))


def admin_behind(
    session: Session, secret: str | None, now: datetime, lifetime: Lifetime
) -> Admin | None:
    """The admin behind a live session cookie, or None; a live session counts as used."""
    if secret is None:
        return None
    row = session.execute(
        select(
            AdminSession.id,
            AdminSession.created_at,
            AdminSession.expires_at,
            Account.id,
            Account.email,
            Account.org_id,
            Organisation.name,
        )
        .join(Account, Account.id == AdminSession.account_id)
        .join(Organisation, Organisation.id == Account.org_id)
        .where(
            AdminSession.session_hash == _hash(secret),
            AdminSession.expires_at > now,
            AdminSession.created_at > now - lifetime.ttl,
            Account.active.is_(True),
            Account.totp_enabled.is_(True),
        )
    ).one_or_none()
    if row is None:
        return None
    session_id, created_at, expires_at, account_id, email, org_id, org_name = row
    grants = grants_of(session, account_id)
    if not grants:
        return None
    deadline = lifetime.deadline(created_at, now)
    if deadline - expires_at >= TOUCH_INTERVAL:
        session.execute(
            update(AdminSession).where(AdminSession.id == session_id).values(expires_at=deadline)
        )
    principal = Principal(f"account:{email}", grants)
    return Admin(session_id, account_id, email, org_id, org_name, principal)


def _seal(key: bytes, session_id: int, value: str) -> str:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, value.encode(), str(session_id).encode())
    return base64.b64encode(nonce + sealed).decode()


def _unseal(key: bytes, session_id: int, stored: str | None) -> str | None:
    if not stored:
        return None
    try:
        raw = base64.b64decode(stored, validate=True)
        plain = AESGCM(key).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], str(session_id).encode()
        )
    except (binascii.Error, ValueError, InvalidTag):
        return None
    return plain.decode()


def set_flash(session: Session, key: bytes, session_id: int, value: str) -> None:
    session.execute(
        update(AdminSession)
        .where(AdminSession.id == session_id)
        .values(flash=_seal(key, session_id, value))
    )


def set_pending_import(session: Session, key: bytes, session_id: int, value: str | None) -> None:
    """Keep (or with None, drop) the uploaded CSV until the admin confirms its import."""
    sealed = None if value is None else _seal(key, session_id, value)
    session.execute(
        update(AdminSession).where(AdminSession.id == session_id).values(pending_import=sealed)
    )


def pending_import(session: Session, key: bytes, session_id: int) -> str | None:
    stored = session.scalar(
        select(AdminSession.pending_import).where(AdminSession.id == session_id)
    )
    return _unseal(key, session_id, stored)


def take_flash(session: Session, key: bytes, session_id: int) -> str | None:
    """The flash, once: the read clears it in the same transaction (row locked)."""
    stored = session.scalar(
        select(AdminSession.flash).where(AdminSession.id == session_id).with_for_update()
    )
    if not stored:
        return None
    session.execute(update(AdminSession).where(AdminSession.id == session_id).values(flash=None))
    return _unseal(key, session_id, stored)


def set_admin_cookie(response: Response, value: str) -> None:
    # A browser-session cookie; how long the session lives is the server's business.
    response.set_cookie(
        ADMIN_COOKIE, value, path=ADMIN_PATH, secure=True, httponly=True, samesite="strict"
    )


def clear_admin_cookie(response: Response) -> None:
    response.delete_cookie(
        ADMIN_COOKIE, path=ADMIN_PATH, secure=True, httponly=True, samesite="strict"
    )

"""API tokens: bearer secrets for /api/v1 and /scim/v2, shown once, kept as SHA-256 digests.

A token is `sgt_` and 43 URL-safe characters (256 random bits), so a digest is as good as a
slow hash and lets a request find its row by one indexed equality: no secret-dependent
comparison happens in Python. Each token carries one role for one organisation (or the
operator role), and an expiry no later than a year away: a forgotten token stops by itself.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sealgate.admin.errors import AdminError
from sealgate.admin.principal import Grant, Principal
from sealgate.admin.roles import Role, role_named
from sealgate.directory import find_org
from sealgate.store import ApiToken, Organisation, utcnow

TOKEN_PREFIX = "sgt_"
MAX_DAYS = 365
DEFAULT_DAYS = 90


@dataclass(frozen=True)
class TokenListing:
    id: int
    name: str
    org: str | None  # None: an operator token
    role: Role
    created_at: datetime
    created_by: str
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", errors="surrogateescape")).hexdigest()


def create_token(
    session: Session,
    *,
    role_name: str,
    org_name: str | None,
    name: str = "",
    days: int = DEFAULT_DAYS,
    created_by: str,
) -> tuple[TokenListing, str]:
    """A new token and its secret; the secret exists only in this return value.

    `operator` tokens take no organisation; every other role needs one.
    """
    try:
        role = role_named(role_name)
    except ValueError as exc:
        raise AdminError(str(exc)) from None
    if not 1 <= days <= MAX_DAYS:
        raise AdminError(f"a token lasts 1 to {MAX_DAYS} days, not {days}")
    if (role is Role.OPERATOR) != (org_name is None):
        raise AdminError(
            "an operator token acts across organisations and takes no --org"
            if role is Role.OPERATOR
            else f"a {role} token needs --org"
        )
    org_id = None
    if org_name is not None:
        org_id = find_org(session, org_name).id
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(
        name=name,
        token_hash=token_digest(secret),
        org_id=org_id,
        role=role.value,
        created_at=now,
        created_by=created_by,
        expires_at=now + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    return _listing(row, org_name), secret


def _listing(row: ApiToken, org: str | None) -> TokenListing:
    return TokenListing(
        row.id,
        row.name,
        org,
        Role(row.role),
        row.created_at,
        row.created_by,
        row.expires_at,
        row.revoked_at,
        row.last_used_at,
    )


def list_tokens(session: Session, org_name: str | None = None) -> list[TokenListing]:
    query = (
        select(ApiToken, Organisation.name)
        .outerjoin(Organisation, Organisation.id == ApiToken.org_id)
        .order_by(ApiToken.id)
    )
    if org_name is not None:
        query = query.where(Organisation.name == org_name)
    return [_listing(row, org) for row, org in session.execute(query)]


def revoke_token(session: Session, token_id: int) -> None:
    done = session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        raise AdminError(f"no active token {token_id}")


def authenticate_token(session: Session, secret: str, now: datetime) -> Principal | None:
    """The principal a bearer secret stands for, or None: unknown, revoked or expired alike.

    Marks the token used (at most once a minute, so a busy client does not write a row per
    request).
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    row = session.execute(
        select(ApiToken.id, ApiToken.role, ApiToken.org_id, ApiToken.last_used_at).where(
            ApiToken.token_hash == token_digest(secret),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
        )
    ).one_or_none()
    if row is None:
        return None
    token_id, role, org_id, last_used = row
    if last_used is None or now - last_used > timedelta(minutes=1):
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    return Principal(f"token:{token_id}", (Grant(Role(role), org_id),))

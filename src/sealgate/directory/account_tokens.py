"""Single-use account links: an invitation to set up an account, or a password reset.

A link's token has 256 random bits; only its SHA-256 is stored (`account_tokens`), with an
expiry. Issuing a new link of an account deletes its earlier unused ones, so only the latest
mail works. Spending a link is one conditional UPDATE (`… SET used_at = now WHERE used_at IS
NULL AND expires_at > now`): of two parallel posts of one link, only one row count is 1.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sealgate.store import Account, AccountToken

# Our tokens are 43 characters of base64url; anything much longer is not one of them.
_MAX_TOKEN_LENGTH = 100


class LinkPurpose(StrEnum):
    INVITE = "invite"  # the account has no password yet
    RESET = "reset"  # the account holder asked for (or an admin sent) a new password


@dataclass(frozen=True)
class AccountLink:
    """What a valid, unspent link leads to."""

    token_id: int
    account_id: int
    email: str
    purpose: LinkPurpose
    recipient_id: str | None
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_account_link(
    session: Session,
    account_id: int,
    purpose: LinkPurpose,
    now: datetime,
    ttl: timedelta,
    recipient_id: str | None = None,
) -> tuple[str, datetime]:
    """A new link token for the account (its earlier unused links stop working)."""
    session.execute(
        delete(AccountToken).where(
            AccountToken.account_id == account_id, AccountToken.used_at.is_(None)
        )
    )
    token = secrets.token_urlsafe(32)
    expires_at = now + ttl
    session.add(
        AccountToken(
            account_id=account_id,
            purpose=purpose.value,
            token_hash=_hash(token),
            recipient_id=recipient_id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    return token, expires_at


def find_account_link(session: Session, token: str, now: datetime) -> AccountLink | None:
    """The unspent, unexpired link of an active account behind `token`, or None."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    row = session.execute(
        select(AccountToken, Account.email)
        .join(Account, Account.id == AccountToken.account_id)
        .where(
            AccountToken.token_hash == _hash(token),
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > now,
            Account.active.is_(True),
        )
    ).first()
    if row is None:
        return None
    link, email = row
    return AccountLink(
        link.id,
        link.account_id,
        email,
        LinkPurpose(link.purpose),
        link.recipient_id,
        link.expires_at,
    )


def spend_account_link(session: Session, link: AccountLink, now: datetime) -> bool:
    """Mark the link used; False when another request spent it first (or it expired)."""
    result: Any = session.execute(
        update(AccountToken)
        .where(
            AccountToken.id == link.token_id,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)

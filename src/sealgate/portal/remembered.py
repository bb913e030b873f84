"""Remembered browsers: the rows behind "remember this device", made and checked.

A guest who proved their address (a code by mail or SMS, an access code) may tick "remember
this device" when their message's organisation allows it (`policy set
--remember-device-days N`). The browser then gets a 256-bit secret in a long-lived cookie
(cookies.py), and `remembered_devices` keeps its SHA-256 with the address, the organisation
and the kind of proof it was made with. Later links to that address from that organisation,
proved the same way, open without a proof in that browser until the row expires.

A row counts only while all of these hold, checked on every use: its secret matches
(looked up by hash), the link's address, organisation and proof are the row's, it has not
expired, and the organisation still allows remembering, for no fewer days than the row is
old (switching it off, or shortening it, makes rows ask again without touching them). It
never opens a link that is not valid, expired or withdrawn: the link is resolved first.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sealgate.mail import address_key
from sealgate.portal.codes import ACCESS_CODE_ATTEMPTS
from sealgate.portal.methods import Proof
from sealgate.store import RememberedDevice

# The proofs a browser can be remembered after: a guest's; an account logs in instead.
REMEMBERED_PROOFS = (Proof.EMAIL_CODE, Proof.SMS_CODE, Proof.ACCESS_CODE)


class RememberTarget(Protocol):
    """What of a link (link.LinkTarget) a remembered row is checked against."""

    @property
    def address(self) -> str: ...
    @property
    def org_id(self) -> int: ...
    @property
    def proof(self) -> Proof: ...
    @property
    def remember_days(self) -> int | None: ...
    @property
    def access_code_attempts(self) -> int: ...


@dataclass(frozen=True)
class DeviceRequest:
    """What the browser sent that remembering needs: its User-Agent, its old device cookie,
    and its address (for the audit trail)."""

    user_agent: str
    previous: str | None
    client: str | None


@dataclass(frozen=True)
class Remembered:
    """A browser just remembered: the secret for its cookie, and for how many days."""

    secret: str
    days: int

    @property
    def max_age(self) -> int:
        return self.days * 24 * 3600


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def remembered_device(
    session: Session,
    secret: str | None,
    *,
    address: str,
    org_id: int,
    proof: str,
    days: int | None,
    now: datetime,
) -> int | None:
    """The id of the live row behind `secret` for this address, organisation and proof."""
    if secret is None or days is None:
        return None
    row = session.execute(
        select(
            RememberedDevice.id,
            RememberedDevice.address,
            RememberedDevice.org_id,
            RememberedDevice.proof,
            RememberedDevice.created_at,
        ).where(RememberedDevice.token_hash == _hash(secret), RememberedDevice.expires_at > now)
    ).one_or_none()
    if row is None:
        return None
    row_id, row_address, row_org, row_proof, created_at = row
    if (row_address, row_org, row_proof) != (address_key(address), org_id, proof):
        return None
    if created_at + timedelta(days=days) <= now:
        return None
    return int(row_id)


def add_remembered_device(
    session: Session,
    *,
    address: str,
    org_id: int,
    proof: str,
    browser: str,
    days: int,
    previous: str | None,
    now: datetime,
) -> str:
    """A new row for this browser; returns the secret for its cookie.

    The browser's previous row (its old cookie, for another address or expired) is deleted:
    a browser is remembered for one address at a time. Expired rows of the address go too.
    """
    if previous is not None:
        session.execute(
            delete(RememberedDevice).where(RememberedDevice.token_hash == _hash(previous))
        )
    key = address_key(address)
    session.execute(
        delete(RememberedDevice).where(
            RememberedDevice.address == key, RememberedDevice.expires_at <= now
        )
    )
    secret = secrets.token_urlsafe(32)
    session.add(
        RememberedDevice(
            token_hash=_hash(secret),
            address=key,
            org_id=org_id,
            proof=proof,
            browser=browser[:80],
            created_at=now,
            expires_at=now + timedelta(days=days),
            last_used_at=None,
        )
    )
    return secret


def mark_used(session: Session, row_id: int, now: datetime) -> None:
    session.execute(
        update(RememberedDevice).where(RememberedDevice.id == row_id).values(last_used_at=now)
    )


def live_device(
    session: Session, target: RememberTarget, secret: str | None, now: datetime
) -> int | None:
    """The live row that lets this browser open the link without a proof (changes nothing).

    Never for an account's link, nor for an access code locked by wrong guesses.
    """
    if target.proof not in REMEMBERED_PROOFS:
        return None
    if target.proof is Proof.ACCESS_CODE and target.access_code_attempts >= ACCESS_CODE_ATTEMPTS:
        return None
    return remembered_device(
        session,
        secret,
        address=target.address,
        org_id=target.org_id,
        proof=target.proof.value,
        days=target.remember_days,
        now=now,
    )

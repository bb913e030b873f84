"""SMTP submission credentials: generated, shown once, kept as argon2 hashes."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.directory.errors import DirectoryError
from sealgate.directory.orgs import find_org
from sealgate.directory.passwords import hash_password, verify_password
from sealgate.store import SmtpCredential, utcnow

_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class CredentialInfo:
    id: int
    org_id: int
    username: str
    label: str
    active: bool


def create_credential(
    session: Session, org_name: str, label: str = ""
) -> tuple[CredentialInfo, str]:
    """A new credential and its password; the password exists only in this return value."""
    org = find_org(session, org_name)
    username = "sg-" + secrets.token_hex(8)
    # Letters and digits only: a leading "-" or a quote would trip up command lines and configs.
    password = "".join(secrets.choice(_ALPHABET) for _ in range(32))
    row = SmtpCredential(
        org_id=org.id,
        username=username,
        password_hash=hash_password(password),
        label=label,
        active=True,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return CredentialInfo(row.id, row.org_id, row.username, row.label, row.active), password


def disable_credential(session: Session, username: str) -> CredentialInfo:
    row = session.scalar(select(SmtpCredential).where(SmtpCredential.username == username))
    if row is None:
        raise DirectoryError(f"no credential {username}")
    row.active = False
    return CredentialInfo(row.id, row.org_id, row.username, row.label, row.active)


def verify_credential(session: Session, username: str, password: str) -> CredentialInfo | None:
    """The active credential these match, or None; costs one argon2 check either way."""
    row = session.scalar(select(SmtpCredential).where(SmtpCredential.username == username))
    valid = verify_password(row.password_hash if row else None, password)
    if row is None or not valid or not row.active:
        return None
    return CredentialInfo(row.id, row.org_id, row.username, row.label, row.active)

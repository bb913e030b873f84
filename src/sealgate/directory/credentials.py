"""SMTP submission credentials: generated, shown once, kept as keyed HMAC-SHA256 digests.

A generated secret has 190 random bits, so no one can guess it, and a slow hash (argon2) buys
nothing but a CPU ceiling on logins that anyone who completes STARTTLS can push against. The
stored form is "hmac-sha256$<hex>" under a key derived from the master key
(`rt.subkey(CREDENTIAL_KEY_PURPOSE)`): a copy of the database alone does not let anyone test
a candidate secret. Rows from before this change hold argon2 hashes; they keep working and
are rewritten to the HMAC form on their next successful login. Passwords that people choose
(accounts) stay argon2, in passwords.py.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.directory.errors import DirectoryError
from sealgate.directory.orgs import find_org
from sealgate.directory.passwords import verify_password
from sealgate.store import SmtpCredential, utcnow

_ALPHABET = string.ascii_letters + string.digits
# 32 characters of 62: 190 random bits.
SECRET_LENGTH = 32
# The purpose of the master-key subkey that credential digests are keyed with.
CREDENTIAL_KEY_PURPOSE = "smtp-credentials"
HMAC_PREFIX = "hmac-sha256$"
# Compared against when the username is unknown, so that an unknown name costs one HMAC and
# one constant-time compare, the same as a known one.
_NO_SUCH_DIGEST = HMAC_PREFIX + "0" * 64


@dataclass(frozen=True)
class CredentialInfo:
    id: int
    org_id: int
    username: str
    label: str
    active: bool


def digest_secret(key: bytes, secret: str) -> str:
    """The stored form of a generated secret: "hmac-sha256$" and the hex HMAC under `key`."""
    mac = hmac.new(key, secret.encode("utf-8", errors="surrogateescape"), hashlib.sha256)
    return HMAC_PREFIX + mac.hexdigest()


def create_credential(
    session: Session, org_name: str, label: str = "", *, key: bytes
) -> tuple[CredentialInfo, str]:
    """A new credential and its secret; the secret exists only in this return value."""
    org = find_org(session, org_name)
    username = "sg-" + secrets.token_hex(8)
    # Letters and digits only: a leading "-" or a quote would trip up command lines and configs.
    password = "".join(secrets.choice(_ALPHABET) for _ in range(SECRET_LENGTH))
    row = SmtpCredential(
        org_id=org.id,
        username=username,
        password_hash=digest_secret(key, password),
        label=label,
        active=True,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return CredentialInfo(row.id, row.org_id, row.username, row.label, row.active), password


def checked_by_argon2(session: Session, username: str) -> bool:
    """True when this username's credential is a row from before the HMAC form (argon2).

    Such a check costs a CPU for a while, so submission does it outside any transaction
    that holds locks; an unknown username is an HMAC check.
    """
    stored = session.scalar(
        select(SmtpCredential.password_hash).where(SmtpCredential.username == username)
    )
    return stored is not None and not stored.startswith(HMAC_PREFIX)


def disable_credential(session: Session, username: str) -> CredentialInfo:
    row = session.scalar(select(SmtpCredential).where(SmtpCredential.username == username))
    if row is None:
        raise DirectoryError(f"no credential {username}")
    row.active = False
    return CredentialInfo(row.id, row.org_id, row.username, row.label, row.active)


def verify_credential(
    session: Session, username: str, password: str, *, key: bytes
) -> CredentialInfo | None:
    """The active credential these match, or None.

    An argon2 row that matches is rewritten to the HMAC form in this transaction (the caller
    commits). Unknown usernames and HMAC rows cost the same: one HMAC, one compare_digest.
    """
    row = session.scalar(select(SmtpCredential).where(SmtpCredential.username == username))
    stored = row.password_hash if row is not None else _NO_SUCH_DIGEST
    if stored.startswith(HMAC_PREFIX):
        typed = digest_secret(key, password)
        valid = hmac.compare_digest(typed.encode(), stored.encode()) and row is not None
    else:
        valid = verify_password(stored, password)
        if valid and row is not None:
            row.password_hash = digest_secret(key, password)
    if row is None or not valid or not row.active:
        return None
    return CredentialInfo(row.id, row.org_id, row.username, row.label, row.active)

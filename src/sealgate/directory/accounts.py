"""Accounts: the people who send, and who read with a login (password + TOTP).

An account added without a password is "not set up": it receives an invitation link
(`account_tokens.py`) to choose one. Changing a password or clearing the second factor ends
the account's portal sessions, so a stolen session does not outlive the change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session

from sealgate.directory.errors import DirectoryError
from sealgate.directory.orgs import find_org
from sealgate.directory.passwords import hash_password
from sealgate.mail import Address, AddressError
from sealgate.store import Account, Organisation, PortalSession, utcnow

log = logging.getLogger("sealgate.directory")
DISPLAY_NAME_MAX = 200  # the column's length


@dataclass(frozen=True)
class AccountInfo:
    id: int
    org_id: int
    email: str
    display_name: str
    active: bool


def _info(account: Account) -> AccountInfo:
    return AccountInfo(
        account.id, account.org_id, account.email, account.display_name, account.active
    )


def parse_address(address: str) -> Address:
    """An account's or contact's address: a mailbox in a dotted domain; else DirectoryError."""
    try:
        parsed = Address.parse(address)
    except AddressError:
        raise DirectoryError(f"not an email address: {address.strip()!r}") from None
    if "." not in parsed.domain.key:
        raise DirectoryError(f"not an email address: {address.strip()!r}")
    return parsed


def normalise_address(address: str) -> str:
    """The form accounts and contacts are stored and looked up by: `mail.Address.key`."""
    return parse_address(address).key


def add_account(
    session: Session, email: str, org_name: str, password: str | None = None, display_name: str = ""
) -> AccountInfo:
    org = find_org(session, org_name)
    parsed = parse_address(email)
    email = parsed.key
    if parsed.domain.key not in org.domains:
        raise DirectoryError(f"{email} is not in a domain of {org_name} ({', '.join(org.domains)})")
    if session.scalar(select(Account).where(Account.email == email)):
        raise DirectoryError(f"account {email} already exists")
    account = Account(
        org_id=org.id,
        email=email,
        display_name=display_name,
        password_hash=hash_password(password) if password else None,
        active=True,
        created_at=utcnow(),
    )
    session.add(account)
    session.flush()
    return _info(account)


def find_account(session: Session | Connection, email: str) -> AccountInfo | None:
    try:
        email = normalise_address(email)
    except DirectoryError:
        return None
    # Columns, not an ORM object: submission asks this for every message, and building and
    # tracking an entity cost more than the query.
    row = session.execute(
        select(
            Account.id, Account.org_id, Account.email, Account.display_name, Account.active
        ).where(Account.email == email)
    ).first()
    return AccountInfo(*row) if row else None


def find_active_account(
    session: Session | Connection, email: str, org_id: int
) -> AccountInfo | None:
    """The active account with this address in this organisation, or None."""
    account = find_account(session, email)
    if account is None or not account.active or account.org_id != org_id:
        return None
    return account


def _account_row(session: Session, email: str) -> Account:
    account = session.scalar(select(Account).where(Account.email == normalise_address(email)))
    if account is None:
        raise DirectoryError(f"no account {email}")
    return account


def _end_sessions(session: Session, account_id: int) -> None:
    session.execute(delete(PortalSession).where(PortalSession.account_id == account_id))


def disable_account(session: Session, email: str) -> AccountInfo:
    account = _account_row(session, email)
    account.active = False
    return _info(account)


def enable_account(session: Session, email: str) -> AccountInfo:
    """Undo `disable_account`: the password and second factor it had work again."""
    account = _account_row(session, email)
    account.active = True
    return _info(account)


def set_display_name(session: Session, email: str, display_name: str) -> AccountInfo:
    """Change the name mail and pages greet the account by (CSV import, SCIM)."""
    if len(display_name) > DISPLAY_NAME_MAX:
        raise DirectoryError(f"the name is longer than {DISPLAY_NAME_MAX} characters")
    account = _account_row(session, email)
    account.display_name = display_name
    return _info(account)


def active_account_id(session: Session, email: str) -> int:
    """The id of the active account `email`; DirectoryError when there is none."""
    account = _account_row(session, email)
    if not account.active:
        raise DirectoryError(f"account {account.email} is disabled; enable it first")
    return account.id


def set_account_password(session: Session, account_id: int, password: str) -> None:
    """Replace the password hash (the old password stops working) and end the sessions.

    The caller has checked `password_rules.password_problem` first.
    """
    account = session.get(Account, account_id)
    if account is None:
        raise DirectoryError(f"no account with id {account_id}")
    account.password_hash = hash_password(password)
    _end_sessions(session, account_id)


def reset_second_factor(session: Session, email: str) -> AccountInfo:
    """Forget the TOTP secret and recovery codes: the next login enrols a new app."""
    account = _account_row(session, email)
    account.totp_enabled = False
    account.totp_secret = ""
    account.recovery_codes = None
    _end_sessions(session, account.id)
    # Audit hook: the audit trail (issue 12) records this admin action from this event.
    log.info("account.reset_2fa account_id=%d", account.id)
    return _info(account)


def is_set_up(session: Session | Connection, email: str) -> bool:
    """Whether the account `email` has a password (False also when there is no account)."""
    try:
        email = normalise_address(email)
    except DirectoryError:
        return False
    stored = session.scalar(select(Account.password_hash).where(Account.email == email))
    return bool(stored)


@dataclass(frozen=True)
class AccountListing:
    """One row of `account list`: never a hash, a secret or a recovery code."""

    email: str
    org: str
    name: str
    active: bool
    password_set: bool
    totp_enrolled: bool


def list_accounts(session: Session, org_name: str | None = None) -> list[AccountListing]:
    query = (
        select(
            Account.email,
            Organisation.name,
            Account.display_name,
            Account.active,
            Account.password_hash,
            Account.totp_enabled,
        )
        .join(Organisation, Organisation.id == Account.org_id)
        .order_by(Organisation.name, Account.email)
    )
    if org_name is not None:
        query = query.where(Organisation.id == find_org(session, org_name).id)
    return [
        AccountListing(email, org, name, active, bool(password_hash), totp)
        for email, org, name, active, password_hash, totp in session.execute(query)
    ]

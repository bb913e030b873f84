"""Accounts: the people who send (and, later, read with a login)."""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.directory.errors import DirectoryError
from sealgate.directory.orgs import find_org
from sealgate.directory.passwords import hash_password
from sealgate.store import Account, utcnow


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


def normalise_address(address: str) -> str:
    """Lower-case an address for look-ups; raises DirectoryError when it is not one."""
    address = address.strip()
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError):
        raise DirectoryError(f"not an email address: {address!r}") from None
    if not parsed.username or not parsed.domain or "." not in parsed.domain:
        raise DirectoryError(f"not an email address: {address!r}")
    return f"{parsed.username}@{parsed.domain}".lower()


def add_account(
    session: Session, email: str, org_name: str, password: str | None = None, display_name: str = ""
) -> AccountInfo:
    org = find_org(session, org_name)
    email = normalise_address(email)
    if email.rpartition("@")[2] not in org.domains:
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


def find_account(session: Session, email: str) -> AccountInfo | None:
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


def find_active_account(session: Session, email: str, org_id: int) -> AccountInfo | None:
    """The active account with this address in this organisation, or None."""
    account = find_account(session, email)
    if account is None or not account.active or account.org_id != org_id:
        return None
    return account


def disable_account(session: Session, email: str) -> AccountInfo:
    account = session.scalar(select(Account).where(Account.email == normalise_address(email)))
    if account is None:
        raise DirectoryError(f"no account {email}")
    account.active = False
    return _info(account)

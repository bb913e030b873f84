"""Accounts: the people who send (and, later, read with a login)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from sealgate.directory.errors import DirectoryError
from sealgate.directory.orgs import find_org
from sealgate.directory.passwords import hash_password
from sealgate.mail import Address, AddressError
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


def disable_account(session: Session, email: str) -> AccountInfo:
    account = session.scalar(select(Account).where(Account.email == normalise_address(email)))
    if account is None:
        raise DirectoryError(f"no account {email}")
    account.active = False
    return _info(account)

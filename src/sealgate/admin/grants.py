"""The admin roles accounts hold: granted, revoked, listed, and read at login.

An organisation role is held for the account's own organisation (an org admin of one
hospital is nothing at another); `operator` is held across all organisations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sealgate.admin.errors import AdminError
from sealgate.admin.principal import Grant
from sealgate.admin.roles import Role, role_named
from sealgate.directory import find_account
from sealgate.store import Account, Organisation, RoleGrant, utcnow


@dataclass(frozen=True)
class GrantListing:
    email: str
    role: Role
    org: str | None  # None: operator, across organisations
    granted_at: datetime
    granted_by: str


def _account(session: Session, email: str) -> tuple[int, int]:
    account = find_account(session, email)
    if account is None:
        raise AdminError(f"no account {email!r}")
    return account.id, account.org_id


def _role(name: str) -> Role:
    try:
        return role_named(name)
    except ValueError as exc:
        raise AdminError(str(exc)) from None


def grant_role(session: Session, email: str, role_name: str, *, granted_by: str) -> GrantListing:
    """Give the account `role`; granting a role it holds already is refused, so typos show."""
    role = _role(role_name)
    account_id, org_id = _account(session, email)
    held = session.scalar(
        select(RoleGrant.id).where(RoleGrant.account_id == account_id, RoleGrant.role == role)
    )
    if held is not None:
        raise AdminError(f"{email} already holds the role {role}")
    row = RoleGrant(
        account_id=account_id,
        org_id=None if role is Role.OPERATOR else org_id,
        role=role.value,
        granted_at=utcnow(),
        granted_by=granted_by,
    )
    session.add(row)
    session.flush()
    org = None if row.org_id is None else session.get(Organisation, row.org_id)
    return GrantListing(email, role, org.name if org else None, row.granted_at, granted_by)


def revoke_role(session: Session, email: str, role_name: str) -> None:
    role = _role(role_name)
    account_id, _ = _account(session, email)
    gone = session.execute(
        delete(RoleGrant).where(RoleGrant.account_id == account_id, RoleGrant.role == role)
    )
    if not gone.rowcount:  # type: ignore[attr-defined]
        raise AdminError(f"{email} does not hold the role {role}")


def grants_of(session: Session, account_id: int) -> tuple[Grant, ...]:
    """The roles an account holds, as the principal of its admin session carries them."""
    rows = session.execute(
        select(RoleGrant.role, RoleGrant.org_id)
        .where(RoleGrant.account_id == account_id)
        .order_by(RoleGrant.id)
    )
    return tuple(Grant(Role(role), org_id) for role, org_id in rows)


def list_grants(session: Session, org_name: str | None = None) -> list[GrantListing]:
    """Every grant, or one organisation's (operators are listed with every organisation)."""
    query = (
        select(
            Account.email,
            RoleGrant.role,
            Organisation.name,
            RoleGrant.granted_at,
            RoleGrant.granted_by,
        )
        .join(Account, Account.id == RoleGrant.account_id)
        .outerjoin(Organisation, Organisation.id == RoleGrant.org_id)
        .order_by(Account.email, RoleGrant.role)
    )
    if org_name is not None:
        query = query.where((Organisation.name == org_name) | (RoleGrant.org_id.is_(None)))
    return [
        GrantListing(email, Role(role), org, at, by)
        for email, role, org, at, by in session.execute(query)
    ]

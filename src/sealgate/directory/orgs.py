"""Organisations and the domains they claim."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.directory.errors import DirectoryError
from sealgate.mail import AddressError
from sealgate.mail import Domain as DomainName
from sealgate.store import Domain, Organisation, utcnow


@dataclass(frozen=True)
class OrgInfo:
    id: int
    name: str
    domains: tuple[str, ...]


def _info(session: Session, org: Organisation) -> OrgInfo:
    names = session.scalars(
        select(Domain.name).where(Domain.org_id == org.id).order_by(Domain.name)
    )
    return OrgInfo(org.id, org.name, tuple(names))


def claimable_domain(domain: str) -> str:
    """A claimable domain's key, its A-label (`mail.Domain`); a name with a dot, not a host."""
    try:
        name = DomainName.parse(domain).key
    except AddressError as exc:
        raise DirectoryError(str(exc)) from None
    if "." not in name:
        raise DirectoryError(f"not a domain name: {domain!r}")
    return name


def create_org(session: Session, name: str, domains: list[str]) -> OrgInfo:
    if not name.strip():
        raise DirectoryError("organisation name must not be empty")
    if session.scalar(select(Organisation).where(Organisation.name == name)):
        raise DirectoryError(f"organisation {name!r} already exists")
    org = Organisation(name=name, created_at=utcnow())
    session.add(org)
    session.flush()
    for domain in dict.fromkeys(claimable_domain(d) for d in domains):
        owner = session.scalar(select(Domain).where(Domain.name == domain))
        if owner is not None:
            raise DirectoryError(f"domain {domain} is already claimed by another organisation")
        session.add(Domain(org_id=org.id, name=domain))
    session.flush()
    return _info(session, org)


def organisation_named(session: Session, name: str) -> Organisation:
    """The row of organisation `name`, for directory modules that change it."""
    org = session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        raise DirectoryError(f"no organisation named {name!r}")
    return org


def find_org(session: Session, name: str) -> OrgInfo:
    return _info(session, organisation_named(session, name))


def org_claiming(session: Session, domain: str) -> OrgInfo | None:
    """The organisation that claimed `domain`, if any (SPF-authorised submission asks)."""
    try:
        name = claimable_domain(domain)
    except DirectoryError:
        return None
    row = session.scalar(select(Domain).where(Domain.name == name))
    return _info(session, session.get_one(Organisation, row.org_id)) if row else None

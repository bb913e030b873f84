"""Recipient domains known to be NTA 7516 compliant, besides compliant organisations here.

An organisation on this system states its own compliance in its policy (`nta7516`); this
list is for domains elsewhere, which an admin has established out of band.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.directory.errors import DirectoryError
from sealgate.directory.orgs import claimable_domain
from sealgate.store import Nta7516Domain, utcnow


def add_nta7516_domain(session: Session, domain: str) -> str:
    """List `domain` as compliant; returns its normalised name."""
    name = claimable_domain(domain)
    if session.scalar(select(Nta7516Domain).where(Nta7516Domain.name == name)):
        raise DirectoryError(f"{name} is already listed as NTA 7516 compliant")
    session.add(Nta7516Domain(name=name, created_at=utcnow()))
    session.flush()
    return name


def remove_nta7516_domain(session: Session, domain: str) -> str:
    name = claimable_domain(domain)
    row = session.scalar(select(Nta7516Domain).where(Nta7516Domain.name == name))
    if row is None:
        raise DirectoryError(f"{name} is not listed as NTA 7516 compliant")
    session.delete(row)
    session.flush()
    return name


def list_nta7516_domains(session: Session) -> list[str]:
    return list(session.scalars(select(Nta7516Domain.name).order_by(Nta7516Domain.name)))

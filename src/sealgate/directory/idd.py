"""Inbound Direct Delivery: an organisation asks that mail to one of its domains skips the portal.

Only the organisation that claimed a domain may switch IDD on for it; the transport
requirement on its mail servers is checked per message by policy, not here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.directory.errors import DirectoryError
from sealgate.directory.orgs import claimable_domain, find_org
from sealgate.store import Domain


@dataclass(frozen=True)
class IddInfo:
    org: str
    domain: str
    idd: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def set_idd(session: Session, org_name: str, domain: str, enabled: bool) -> IddInfo:
    """Switch IDD on or off for a domain `org_name` claimed."""
    org = find_org(session, org_name)
    name = claimable_domain(domain)
    row = session.scalar(select(Domain).where(Domain.name == name, Domain.org_id == org.id))
    if row is None:
        raise DirectoryError(f"domain {name} is not claimed by organisation {org.name!r}")
    row.idd = enabled
    session.flush()
    return IddInfo(org.name, name, enabled)


def idd_domains(session: Session, org_name: str) -> list[str]:
    """The domains of `org_name` with IDD on."""
    org = find_org(session, org_name)
    query = select(Domain.name).where(Domain.org_id == org.id, Domain.idd.is_(True))
    return list(session.scalars(query.order_by(Domain.name)))

"""Read-only listings of the directory for admins: organisations and SMTP credentials.

A listing shows what an admin needs to find a row (names, domains, counts, labels, dates)
and never a secret: a credential's digest stays in its row, as does an account's password
hash. `display_name` is the brand's (`sealgate org brand --display-name`), None when the
organisation has none; the schema keeps no last-use time for credentials, so a listing
cannot show one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from sealgate.directory.orgs import organisation_named
from sealgate.store import Account, Domain, Organisation, OrgBrand, SmtpCredential


@dataclass(frozen=True)
class OrgSummary:
    name: str
    display_name: str | None
    domains: tuple[str, ...]
    accounts: int
    active_accounts: int
    created_at: datetime


@dataclass(frozen=True)
class CredentialSummary:
    username: str
    org: str
    label: str
    active: bool
    created_at: datetime


def list_orgs(session: Session) -> list[OrgSummary]:
    """Every organisation by name, with its claimed domains and how many accounts it has."""
    domains: dict[int, list[str]] = {}
    for org_id, name in session.execute(select(Domain.org_id, Domain.name).order_by(Domain.name)):
        domains.setdefault(org_id, []).append(name)
    counts = {
        org_id: (total, active)
        for org_id, total, active in session.execute(
            select(
                Account.org_id,
                func.count(Account.id),
                func.coalesce(func.sum(case((Account.active, 1), else_=0)), 0),
            ).group_by(Account.org_id)
        )
    }
    shown = {
        org_id: name
        for org_id, name in session.execute(select(OrgBrand.org_id, OrgBrand.display_name))
        if name
    }
    return [
        OrgSummary(
            name=org.name,
            display_name=shown.get(org.id),
            domains=tuple(domains.get(org.id, ())),
            accounts=int(counts.get(org.id, (0, 0))[0]),
            active_accounts=int(counts.get(org.id, (0, 0))[1]),
            created_at=org.created_at,
        )
        for org in session.scalars(select(Organisation).order_by(Organisation.name))
    ]


def list_credentials(session: Session, org: str | None = None) -> list[CredentialSummary]:
    """SMTP credentials, oldest first, of one organisation (by name) or of all of them."""
    query = select(SmtpCredential, Organisation.name).join(
        Organisation, Organisation.id == SmtpCredential.org_id
    )
    if org is not None:
        query = query.where(SmtpCredential.org_id == organisation_named(session, org).id)
    query = query.order_by(SmtpCredential.created_at, SmtpCredential.id)
    return [
        CredentialSummary(
            username=row.username,
            org=org_name,
            label=row.label,
            active=row.active,
            created_at=row.created_at,
        )
        for row, org_name in session.execute(query)
    ]

"""An organisation's look: the name, logo, accent, support line and footer recipients see.

`set_brand` changes only what it is given and checks each value first (`brand_colours.py`,
`brand_logo.py`); `brand_of` is what the portal and the mail composers read: a plain value
that always has a name to show, the display name or else the organisation's own name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.directory.brand_colours import check_accent
from sealgate.directory.brand_logo import Logo, check_logo
from sealgate.directory.errors import DirectoryError
from sealgate.directory.orgs import organisation_named
from sealgate.store import Organisation, OrgBrand

# Longest texts taken; they are single lines (a header, a support line, a footer).
TEXT_LIMITS = {"display_name": 100, "support": 200, "footer": 500}


@dataclass(frozen=True)
class BrandInfo:
    """The look of one organisation; `name` is what every page and mail calls it."""

    org_id: int
    org: str
    name: str
    display_name: str = ""
    accent: str = ""
    support: str = ""
    footer: str = ""
    logo_type: str = ""
    logo_digest: str = ""
    logo_size: int = 0

    @property
    def has_logo(self) -> bool:
        return bool(self.logo_digest)

    def to_json(self) -> dict[str, object]:
        return {
            "org": self.org,
            "display_name": self.display_name,
            "name_shown": self.name,
            "accent": self.accent or None,
            "support": self.support,
            "footer": self.footer,
            "logo": (
                {"type": self.logo_type, "bytes": self.logo_size, "sha256": self.logo_digest}
                if self.has_logo
                else None
            ),
        }


@dataclass(frozen=True)
class BrandChange:
    """What `org brand` asks to change; None leaves a value as it is, "" resets it."""

    display_name: str | None = None
    accent: str | None = None
    support: str | None = None
    footer: str | None = None
    logo: bytes | None = None
    logo_filename: str = ""
    remove_logo: bool = False

    @property
    def empty(self) -> bool:
        texts = (self.display_name, self.accent, self.support, self.footer, self.logo)
        return all(value is None for value in texts) and not self.remove_logo


def check_text(field: str, value: str) -> str:
    """One line of at most `TEXT_LIMITS[field]` characters, trimmed; control characters refused."""
    text = value.strip()
    if any(ord(character) < 32 or ord(character) == 127 for character in text):
        raise DirectoryError(f"{field.replace('_', ' ')} must be one line of plain text")
    if len(text) > TEXT_LIMITS[field]:
        raise DirectoryError(
            f"{field.replace('_', ' ')} is {len(text)} characters; at most {TEXT_LIMITS[field]}"
        )
    return text


def _info(org: Organisation, row: OrgBrand | None) -> BrandInfo:
    if row is None:
        return BrandInfo(org.id, org.name, org.name)
    return BrandInfo(
        org_id=org.id,
        org=org.name,
        name=row.display_name or org.name,
        display_name=row.display_name,
        accent=row.accent,
        support=row.support,
        footer=row.footer,
        logo_type=row.logo_type if row.logo else "",
        logo_digest=row.logo_digest if row.logo else "",
        logo_size=len(row.logo or b""),
    )


def brand_of(session: Session, org_id: int) -> BrandInfo:
    """The look of organisation `org_id` (the neutral look when it set none)."""
    org = session.get(Organisation, org_id)
    if org is None:
        raise DirectoryError(f"no organisation with id {org_id}")
    return _info(org, session.get(OrgBrand, org_id))


def find_brand(session: Session, name: str) -> BrandInfo:
    org = organisation_named(session, name)
    return _info(org, session.get(OrgBrand, org.id))


def stored_logo(session: Session, org_id: int) -> Logo | None:
    """The stored (checked) logo of an organisation, to serve; None when it has none."""
    row = session.scalar(select(OrgBrand).where(OrgBrand.org_id == org_id))
    if row is None or row.logo is None:
        return None
    return Logo(row.logo, row.logo_type)


def set_brand(session: Session, name: str, change: BrandChange, now: datetime) -> BrandInfo:
    """Apply `change` to organisation `name`'s look; every value is checked before any is set."""
    if change.empty:
        raise DirectoryError("nothing to change: give an option to set, or --show")
    org = organisation_named(session, name)
    texts = {
        field: check_text(field, value)
        for field in TEXT_LIMITS
        if (value := getattr(change, field)) is not None
    }
    accent = check_accent(change.accent) if change.accent else change.accent
    logo = check_logo(change.logo, change.logo_filename) if change.logo is not None else None
    row = session.get(OrgBrand, org.id)
    if row is None:
        row = OrgBrand(org_id=org.id, display_name="", accent="", support="", footer="")
        row.logo_type, row.logo_digest = "", ""
        session.add(row)
    for field, text in texts.items():
        setattr(row, field, text)
    if accent is not None:
        row.accent = accent
    if change.remove_logo:
        row.logo, row.logo_type, row.logo_digest = None, "", ""
    if logo is not None:
        row.logo, row.logo_type = logo.content, logo.content_type
        row.logo_digest = hashlib.sha256(logo.content).hexdigest()
    row.updated_at = now
    session.flush()
    return _info(org, row)

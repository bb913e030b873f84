"""An organisation's default language: the one its notifications and code mails are written in."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.directory.errors import DirectoryError
from sealgate.directory.orgs import organisation_named
from sealgate.locale import DEFAULT_LANGUAGE, LANGUAGES, language_or_none
from sealgate.store import Organisation


@dataclass(frozen=True)
class OrgLanguage:
    org: str
    language: str

    def to_json(self) -> dict[str, str]:
        return {"org": self.org, "language": self.language}


def org_language(session: Session, org_id: int) -> str:
    """The organisation's default language; English for a value that is not ours (fail safe:
    a mail the reader may not understand beats no mail)."""
    stored = session.scalar(select(Organisation.language).where(Organisation.id == org_id))
    return language_or_none(stored) or DEFAULT_LANGUAGE


def set_org_language(session: Session, name: str, language: str) -> OrgLanguage:
    chosen = language_or_none(language)
    if chosen is None:
        raise DirectoryError(f"unknown language {language!r}: use one of {', '.join(LANGUAGES)}")
    org = organisation_named(session, name)
    org.language = chosen
    session.flush()
    return OrgLanguage(org.name, chosen)

"""An organisation's default language in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from sealgate.bootstrap import Runtime
from sealgate.directory import DirectoryError, create_org, org_language, set_org_language
from sealgate.store import Organisation


def test_new_organisations_speak_english_until_told_otherwise(runtime: Runtime) -> None:
    with runtime.db.begin() as session:
        org = create_org(session, "Clinic", ["clinic.example"])
        assert org_language(session, org.id) == "en"
        assert set_org_language(session, "Clinic", " NL ").to_json() == {
            "org": "Clinic",
            "language": "nl",
        }
    with runtime.db.begin() as session:
        assert org_language(session, org.id) == "nl"


def test_unknown_languages_are_refused_and_a_bad_stored_value_reads_as_english(
    runtime: Runtime,
) -> None:
    with runtime.db.begin() as session:
        org = create_org(session, "Clinic", ["clinic.example"])
        with pytest.raises(DirectoryError, match="unknown language 'fr': use one of en, nl, de"):
            set_org_language(session, "Clinic", "fr")
        with pytest.raises(DirectoryError, match="no organisation named"):
            set_org_language(session, "Nobody", "nl")
        session.execute(update(Organisation).values(language="xx"))
        assert org_language(session, org.id) == "en"

"""Inbound Direct Delivery: only for a domain the organisation itself claimed."""

import pytest
from sqlalchemy import select

from sealgate.directory import DirectoryError, create_org, idd_domains, set_idd
from sealgate.store import Domain


def test_enable_and_disable_for_a_claimed_domain(runtime, sender):
    with runtime.db.begin() as session:
        info = set_idd(session, "Hospital", "Hospital.Example", True)
    assert info.to_json() == {"org": "Hospital", "domain": "hospital.example", "idd": True}
    with runtime.db.begin() as session:
        assert session.scalar(select(Domain.idd).where(Domain.name == "hospital.example"))
        assert idd_domains(session, "Hospital") == ["hospital.example"]
        assert set_idd(session, "Hospital", "hospital.example", False).idd is False
    with runtime.db.begin() as session:
        assert idd_domains(session, "Hospital") == []


def test_a_domain_of_another_organisation_is_refused(runtime, sender):
    with runtime.db.begin() as session:
        create_org(session, "Clinic", ["clinic.example"])
    with runtime.db.begin() as session, pytest.raises(DirectoryError, match="not claimed by"):
        set_idd(session, "Hospital", "clinic.example", True)
    with runtime.db.begin() as session:
        assert not session.scalar(select(Domain.idd).where(Domain.name == "clinic.example"))


def test_an_unclaimed_domain_is_refused(runtime, sender):
    with runtime.db.begin() as session, pytest.raises(DirectoryError, match="not claimed by"):
        set_idd(session, "Hospital", "nobody.example", True)


def test_an_unknown_organisation_is_refused(runtime, sender):
    with runtime.db.begin() as session, pytest.raises(DirectoryError, match="no organisation"):
        set_idd(session, "Nope", "hospital.example", True)

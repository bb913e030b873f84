"""The list of recipient domains known to be NTA 7516 compliant."""

import pytest

from sealgate.directory import (
    DirectoryError,
    add_nta7516_domain,
    list_nta7516_domains,
    remove_nta7516_domain,
)


def test_add_list_remove(runtime):
    with runtime.db.begin() as session:
        assert add_nta7516_domain(session, "Clinic.Example.") == "clinic.example"
        add_nta7516_domain(session, "a-lab.example")
    with runtime.db.begin() as session:
        assert list_nta7516_domains(session) == ["a-lab.example", "clinic.example"]
        assert remove_nta7516_domain(session, "CLINIC.example") == "clinic.example"
    with runtime.db.begin() as session:
        assert list_nta7516_domains(session) == ["a-lab.example"]


def test_adding_twice_is_refused(runtime):
    with runtime.db.begin() as session:
        add_nta7516_domain(session, "clinic.example")
    with runtime.db.begin() as session, pytest.raises(DirectoryError, match="already listed"):
        add_nta7516_domain(session, "clinic.example")


def test_removing_an_unlisted_domain_is_refused(runtime):
    with runtime.db.begin() as session, pytest.raises(DirectoryError, match="not listed"):
        remove_nta7516_domain(session, "clinic.example")


@pytest.mark.parametrize("domain", ["", "bob@clinic.example", "localhost", "a b.example"])
def test_a_non_domain_is_refused(runtime, domain):
    with runtime.db.begin() as session, pytest.raises(DirectoryError, match="not a domain"):
        add_nta7516_domain(session, domain)

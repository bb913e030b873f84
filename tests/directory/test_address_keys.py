"""Accounts and contacts are stored and found by `mail.Address.key` (issue 9, item 3).

One mailbox, however it is written: the local part without regard to case, the domain by its
A-label, so `Zoë@Exämple.org` and `zoë@xn--exmple-cua.org` find the same account.
"""

from __future__ import annotations

import pytest

from sealgate.directory import (
    DirectoryError,
    add_account,
    add_contact,
    create_org,
    find_account,
    find_contact,
    has_account,
    normalise_address,
)

U_LABEL, A_LABEL = "Zoë@Exämple.ORG", "zoë@xn--exmple-cua.org"


@pytest.fixture
def idn_org(runtime):
    with runtime.db.begin() as session:
        return create_org(session, "Kliniek", ["exämple.org"])


def test_an_idn_account_is_stored_by_its_key_and_found_in_either_form(runtime, idn_org):
    assert idn_org.domains == ("xn--exmple-cua.org",)
    with runtime.db.begin() as session:
        account = add_account(session, U_LABEL, "Kliniek")
    assert account.email == A_LABEL
    with runtime.db.begin() as session:
        for written in (U_LABEL, A_LABEL, "<ZOË@exämple.org.>"):
            found = find_account(session, written)
            assert found is not None and found.id == account.id, written
            assert has_account(session, written), written


def test_a_contact_is_found_by_the_recipient_address_as_written(runtime, idn_org):
    with runtime.db.begin() as session:
        add_contact(session, "Kliniek", U_LABEL, phone="+31612345678")
    with runtime.db.begin() as session:
        entry = find_contact(session, idn_org.id, None, A_LABEL.upper(), "sms")
    assert entry is not None and entry.address == A_LABEL


@pytest.mark.parametrize("written", ["nobody", "a b@example.org", "zoe@localhost", "zoe@"])
def test_a_directory_address_is_a_mailbox_in_a_dotted_domain(written):
    with pytest.raises(DirectoryError, match="not an email address"):
        normalise_address(written)

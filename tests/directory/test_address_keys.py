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
    list_contacts,
    normalise_address,
    remove_contact,
)
from sealgate.store import Contact, utcnow

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


def test_an_entry_stored_before_the_address_key_still_applies(runtime, idn_org):
    """Entries used to be stored by the lower-cased text; for a U-label domain that is not
    the key. Missing such an entry would let the recipient verify by e-mail only."""
    legacy = U_LABEL.lower()
    with runtime.db.begin() as session:
        session.add(
            Contact(
                org_id=idn_org.id,
                owner_account_id=None,
                address=legacy,
                kind="sms",
                phone="+31612345678",
                code_hash="",
                hint="",
                opened_at=None,
                created_at=utcnow(),
            )
        )
    with runtime.db.begin() as session:
        entry = find_contact(session, idn_org.id, None, A_LABEL, "sms")
        assert entry is not None and entry.address == legacy
    with runtime.db.begin() as session:
        add_contact(session, "Kliniek", U_LABEL, phone="+31687654321")
    with runtime.db.begin() as session:
        assert [(c.address, c.phone) for c in list_contacts(session, "Kliniek")] == [
            (A_LABEL, "+31687654321")
        ]
        assert remove_contact(session, "Kliniek", U_LABEL) == 1

"""Rows into policy facts: one rule per test, as `sealgate explain` and intake rely on them."""

from datetime import datetime

import pytest
from sqlalchemy import select

from sealgate.directory import (
    add_account,
    add_contact,
    add_nta7516_domain,
    create_org,
    disable_account,
    find_contact,
    mark_contact_opened,
    message_facts,
    org_policy,
    recipient_facts,
    set_idd,
    set_policy,
)
from sealgate.policy.facts import (
    AccessRight,
    ContactMethod,
    DirectDeliveryHeader,
    MessageFacts,
    OrgPolicy,
)
from sealgate.store import Account, Organisation
from sealgate.transport import AssumedLevels, TransportLevel, UnknownTransport

PATIENT = "patient@example.org"


@pytest.fixture
def ids(runtime, sender):
    """(org id, account id) of the sender, plus a second account bob in the same org."""
    with runtime.db.begin() as session:
        add_account(session, "bob@hospital.example", "Hospital")
        org_id = session.scalar(select(Organisation.id).where(Organisation.name == "Hospital"))
        alice = session.scalar(select(Account.id).where(Account.email == sender.address))
        bob = session.scalar(select(Account.id).where(Account.email == "bob@hospital.example"))
    return org_id, alice, bob


def facts(runtime, ids, address, *, access_right=None, transport=None, account=None):
    org_id, alice, _ = ids
    with runtime.db.begin() as session:
        return recipient_facts(
            session,
            sender_org_id=org_id,
            sender_account_id=alice if account is None else account,
            address=address,
            access_right=access_right,
            transport=transport or UnknownTransport(),
        )


def test_org_policy_reads_the_settings(runtime, ids):
    with runtime.db.begin() as session:
        assert org_policy(session, ids[0]) == OrgPolicy()
        set_policy(session, "Hospital", sms=False, email_verification=False, tsc="pane")
        set_policy(session, "Hospital", nta7516=True)
        assert org_policy(session, ids[0]) == OrgPolicy(
            sms=False,
            access_code=True,
            email_verification=False,
            tsc=TransportLevel.PANE,
            nta7516=True,
        )


def test_message_facts_carry_the_header_values(runtime, ids):
    header = DirectDeliveryHeader(TransportLevel.DANE)
    with runtime.db.begin() as session:
        assert message_facts(session, ids[0], header, True) == MessageFacts(
            OrgPolicy(), header, True
        )
        assert message_facts(session, ids[0], None, False) == MessageFacts(OrgPolicy())


def test_a_guest_has_no_facts_but_its_address(runtime, ids):
    found = facts(runtime, ids, PATIENT)
    assert found.address == PATIENT
    assert (found.has_account, found.idd, found.nta7516) == (False, False, False)
    assert (found.contacts, found.access_right, found.transport_level) == ((), None, None)


def test_has_account_means_an_active_account_here(runtime, ids):
    assert facts(runtime, ids, "Bob@Hospital.Example").has_account
    with runtime.db.begin() as session:
        disable_account(session, "bob@hospital.example")
    assert not facts(runtime, ids, "bob@hospital.example").has_account
    assert not facts(runtime, ids, "carol@hospital.example").has_account


def test_account_of_another_organisation_counts(runtime, ids):
    with runtime.db.begin() as session:
        create_org(session, "Clinic", ["clinic.example"])
        add_account(session, "carol@clinic.example", "Clinic")
    assert facts(runtime, ids, "carol@clinic.example").has_account


def test_idd_requires_the_claimed_domain_with_idd_on(runtime, ids):
    with runtime.db.begin() as session:
        create_org(session, "Clinic", ["clinic.example", "lab.example"])
    assert not facts(runtime, ids, "x@clinic.example").idd
    with runtime.db.begin() as session:
        set_idd(session, "Clinic", "clinic.example", True)
    assert facts(runtime, ids, "x@Clinic.Example").idd
    assert not facts(runtime, ids, "x@lab.example").idd
    # A subdomain is not the claimed domain.
    assert not facts(runtime, ids, "x@mail.clinic.example").idd


def test_nta7516_from_a_compliant_organisation_on_this_system(runtime, ids):
    with runtime.db.begin() as session:
        create_org(session, "Clinic", ["clinic.example"])
    assert not facts(runtime, ids, "x@clinic.example").nta7516
    with runtime.db.begin() as session:
        set_policy(session, "Clinic", nta7516=True)
    assert facts(runtime, ids, "x@clinic.example").nta7516
    # The sender's own compliance is a fact about the message, not the recipient.
    assert not facts(runtime, ids, PATIENT).nta7516


def test_nta7516_from_the_listed_domains(runtime, ids):
    with runtime.db.begin() as session:
        add_nta7516_domain(session, "example.org")
    assert facts(runtime, ids, PATIENT).nta7516
    assert not facts(runtime, ids, "x@example.net").nta7516


def test_access_right_and_transport_level_pass_through(runtime, ids):
    right = AccessRight("sms", "+31612345678")
    transport = AssumedLevels({"example.org": TransportLevel.PKIX}, UnknownTransport())
    found = facts(runtime, ids, PATIENT, access_right=right, transport=transport)
    assert (found.access_right, found.transport_level) == (right, TransportLevel.PKIX)
    assert facts(runtime, ids, "x@other.example", transport=transport).transport_level is None


def test_contacts_carry_the_opened_flag(runtime, ids):
    with runtime.db.begin() as session:
        sms = add_contact(session, "Hospital", PATIENT, phone="0612345678")
        add_contact(session, "Hospital", PATIENT, access_code="c0de-42")
    assert facts(runtime, ids, PATIENT).contacts == (
        ContactMethod("sms", False),
        ContactMethod("access_code", False),
    )
    with runtime.db.begin() as session:
        mark_contact_opened(session, sms.id, datetime(2025, 1, 1))
    assert facts(runtime, ids, "PATIENT@example.org").contacts == (
        ContactMethod("sms", True),
        ContactMethod("access_code", False),
    )


def test_personal_entry_wins_over_shared(runtime, ids):
    with runtime.db.begin() as session:
        shared = add_contact(session, "Hospital", PATIENT, phone="0612345678")
        mark_contact_opened(session, shared.id, datetime(2025, 1, 1))
        personal = add_contact(
            session, "Hospital", PATIENT, owner="alice@hospital.example", phone="0687654321"
        )
    # Alice's own (never opened) entry is the one that counts for her messages.
    assert facts(runtime, ids, PATIENT).contacts == (ContactMethod("sms", False),)
    org_id, alice, bob = ids
    with runtime.db.begin() as session:
        entry = find_contact(session, org_id, alice, PATIENT, "sms")
        assert (entry.id, entry.phone) == (personal.id, "+31687654321")
        # Bob has no personal entry: the shared one applies to his messages.
        entry = find_contact(session, org_id, bob, PATIENT, "sms")
        assert (entry.id, entry.phone, entry.opened) == (shared.id, "+31612345678", True)
    assert facts(runtime, ids, PATIENT, account=bob).contacts == (ContactMethod("sms", True),)


def test_shared_entry_fills_a_kind_the_personal_book_lacks(runtime, ids):
    with runtime.db.begin() as session:
        add_contact(
            session, "Hospital", PATIENT, owner="alice@hospital.example", phone="0612345678"
        )
        add_contact(session, "Hospital", PATIENT, access_code="c0de-42", hint="h")
    org_id, alice, _ = ids
    assert {m.kind for m in facts(runtime, ids, PATIENT).contacts} == {"sms", "access_code"}
    with runtime.db.begin() as session:
        entry = find_contact(session, org_id, alice, PATIENT, "access_code")
    assert entry.owner_account_id is None and entry.hint == "h"
    assert entry.code_hash.startswith("$argon2id$") and entry.phone == ""


def test_another_organisations_contacts_do_not_apply(runtime, ids):
    with runtime.db.begin() as session:
        create_org(session, "Clinic", ["clinic.example"])
        add_contact(session, "Clinic", PATIENT, phone="0612345678")
    assert facts(runtime, ids, PATIENT).contacts == ()
    with runtime.db.begin() as session:
        assert find_contact(session, ids[0], ids[1], PATIENT, "sms") is None


def test_find_contact_without_an_account_uses_the_shared_book(runtime, ids):
    with runtime.db.begin() as session:
        shared = add_contact(session, "Hospital", PATIENT, phone="0612345678")
        assert find_contact(session, ids[0], None, PATIENT, "sms").id == shared.id

"""Contact books: E.164 phones, argon2 access codes, replacing, owners, listing without secrets."""

from datetime import datetime

import pytest
from sqlalchemy import select

from sealgate.directory import (
    DirectoryError,
    add_account,
    add_contact,
    create_org,
    list_contacts,
    mark_contact_opened,
    normalise_phone,
    remove_contact,
    verify_password,
)
from sealgate.store import Contact

PATIENT = "patient@example.org"


@pytest.mark.parametrize(
    "phone, region, expected",
    [
        ("06 1234 5678", "NL", "+31612345678"),
        ("+31 6 12345678", "US", "+31612345678"),
        ("(202) 555-0143", "us", "+12025550143"),
    ],
)
def test_phones_are_normalised_to_e164(phone, region, expected):
    assert normalise_phone(phone, region) == expected


@pytest.mark.parametrize("phone", ["12345", "not a number", "+44 7700 900123", ""])
def test_invalid_phones_are_refused(phone):
    with pytest.raises(DirectoryError, match="phone number"):
        normalise_phone(phone, "NL")


def test_sms_entry_is_stored_in_e164(runtime, sender):
    with runtime.db.begin() as session:
        entry = add_contact(session, "Hospital", "Patient@Example.org", phone="0612345678")
    assert (entry.address, entry.kind, entry.phone, entry.owner) == (
        PATIENT,
        "sms",
        "+31612345678",
        None,
    )


def test_access_code_is_kept_only_as_argon2_hash(runtime, sender):
    with runtime.db.begin() as session:
        entry = add_contact(session, "Hospital", PATIENT, access_code="tulip-42", hint="flower")
    with runtime.db.begin() as session:
        stored = session.scalar(select(Contact.code_hash))
    assert stored.startswith("$argon2id$") and verify_password(stored, "tulip-42")
    listed = entry.to_json()
    assert "tulip-42" not in str(listed) and "argon2" not in str(listed)
    assert listed["hint"] == "flower" and listed["opened"] is False


def test_adding_again_replaces_the_entry_and_resets_opened(runtime, sender):
    with runtime.db.begin() as session:
        first = add_contact(session, "Hospital", PATIENT, phone="0612345678")
        mark_contact_opened(session, first.id, datetime(2025, 1, 2, 3, 4))
    with runtime.db.begin() as session:
        assert list_contacts(session, "Hospital")[0].opened_at == datetime(2025, 1, 2, 3, 4)
        add_contact(session, "Hospital", PATIENT, phone="0687654321")
    with runtime.db.begin() as session:
        entries = list_contacts(session, "Hospital")
    assert [(e.phone, e.opened_at) for e in entries] == [("+31687654321", None)]


def test_first_opening_counts(runtime, sender):
    with runtime.db.begin() as session:
        entry = add_contact(session, "Hospital", PATIENT, phone="0612345678")
        mark_contact_opened(session, entry.id, datetime(2025, 1, 1))
        mark_contact_opened(session, entry.id, datetime(2025, 6, 1))
        assert list_contacts(session, "Hospital")[0].opened_at == datetime(2025, 1, 1)


def test_personal_and_shared_books_are_separate(runtime, sender):
    with runtime.db.begin() as session:
        add_contact(session, "Hospital", PATIENT, phone="0612345678")
        add_contact(session, "Hospital", PATIENT, owner=sender.address, access_code="c0de-42")
    with runtime.db.begin() as session:
        shared = list_contacts(session, "Hospital")
        personal = list_contacts(session, "Hospital", owner="ALICE@hospital.example")
    assert [(e.kind, e.owner) for e in shared] == [("sms", None)]
    assert [(e.kind, e.owner) for e in personal] == [("access_code", sender.address)]


def test_owner_must_be_an_account_of_the_organisation(runtime, sender):
    with runtime.db.begin() as session:
        create_org(session, "Clinic", ["clinic.example"])
        add_account(session, "carol@clinic.example", "Clinic")
    for owner in ("carol@clinic.example", "nobody@hospital.example"):
        with runtime.db.begin() as session, pytest.raises(DirectoryError, match="not an account"):
            add_contact(session, "Hospital", PATIENT, owner=owner, phone="0612345678")


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        ({}, "either a phone number or an access code"),
        ({"phone": "0612345678", "access_code": "x"}, "either a phone number"),
        ({"access_code": "  "}, "must not be empty"),
        ({"phone": "0612345678", "hint": "h"}, "hint belongs to an access code"),
        ({"access_code": "x", "hint": "h" * 201}, "longer than 200"),
        ({"phone": "12"}, "phone number"),
    ],
)
def test_bad_entries_are_refused(runtime, sender, kwargs, reason):
    with runtime.db.begin() as session, pytest.raises(DirectoryError, match=reason):
        add_contact(session, "Hospital", PATIENT, **kwargs)


def test_recipient_must_be_an_address(runtime, sender):
    with runtime.db.begin() as session, pytest.raises(DirectoryError, match="not an email"):
        add_contact(session, "Hospital", "patient", phone="0612345678")


def test_remove_one_kind_or_all(runtime, sender):
    with runtime.db.begin() as session:
        add_contact(session, "Hospital", PATIENT, phone="0612345678")
        add_contact(session, "Hospital", PATIENT, access_code="c0de-42")
        add_contact(session, "Hospital", PATIENT, owner=sender.address, phone="0612345678")
    with runtime.db.begin() as session:
        assert remove_contact(session, "Hospital", PATIENT, kind="sms") == 1
        assert [e.kind for e in list_contacts(session, "Hospital")] == ["access_code"]
        assert remove_contact(session, "Hospital", PATIENT) == 1
        assert list_contacts(session, "Hospital") == []
        # The personal entry is in another book and stays.
        assert len(list_contacts(session, "Hospital", owner=sender.address)) == 1


def test_removing_what_is_not_there_is_refused(runtime, sender):
    with runtime.db.begin() as session, pytest.raises(DirectoryError, match="no sms for"):
        remove_contact(session, "Hospital", PATIENT, kind="sms")
    with runtime.db.begin() as session, pytest.raises(DirectoryError, match="unknown contact"):
        remove_contact(session, "Hospital", PATIENT, kind="fax")

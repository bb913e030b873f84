import pytest

from sealgate.directory import (
    DirectoryError,
    add_account,
    create_credential,
    create_org,
    disable_account,
    disable_credential,
    find_active_account,
    verify_credential,
)


def test_credential_verifies_only_with_its_password(runtime, sender):
    with runtime.db.begin() as session:
        assert verify_credential(session, sender.username, sender.password) is not None
        assert verify_credential(session, sender.username, "wrong") is None
        assert verify_credential(session, "sg-nobody", sender.password) is None


def test_password_is_stored_as_argon2_hash(runtime, sender):
    from sqlalchemy import select

    from sealgate.store import SmtpCredential

    with runtime.db.begin() as session:
        stored = session.scalar(select(SmtpCredential.password_hash))
    assert stored.startswith("$argon2id$") and sender.password not in stored


def test_disabled_credential_is_refused(runtime, sender):
    with runtime.db.begin() as session:
        disable_credential(session, sender.username)
    with runtime.db.begin() as session:
        assert verify_credential(session, sender.username, sender.password) is None


def test_disabled_account_is_not_an_active_sender(runtime, sender):
    with runtime.db.begin() as session:
        org_id = disable_account(session, sender.address).org_id
    with runtime.db.begin() as session:
        assert find_active_account(session, sender.address, org_id) is None


def test_account_must_be_in_a_claimed_domain(runtime, sender):
    with runtime.db.begin() as session, pytest.raises(DirectoryError, match="not in a domain"):
        add_account(session, "bob@elsewhere.example", "Hospital")


def test_domain_claimed_once(runtime, sender):
    with runtime.db.begin() as session, pytest.raises(DirectoryError, match="already claimed"):
        create_org(session, "Other", ["hospital.example"])


def test_unknown_org(runtime):
    with runtime.db.begin() as session, pytest.raises(DirectoryError, match="no organisation"):
        create_credential(session, "Nope")


def test_empty_or_missing_hash_never_verifies():
    from sealgate.directory import verify_password

    for stored in ("", None):
        assert not verify_password(stored, "sealgate-no-such-user")
        assert not verify_password(stored, "")

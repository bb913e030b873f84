import pytest

from sealgate.directory import (
    CREDENTIAL_KEY_PURPOSE,
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
        key = runtime.subkey(CREDENTIAL_KEY_PURPOSE)
        assert verify_credential(session, sender.username, sender.password, key=key) is not None
        assert verify_credential(session, sender.username, "wrong", key=key) is None
        assert verify_credential(session, "sg-nobody", sender.password, key=key) is None


def test_password_is_stored_as_keyed_hmac(runtime, sender):
    # Generated credentials are HMAC-SHA256 digests now (issue 9); argon2 is for chosen
    # passwords. The rest of this test's assertion stands: no password in the clear.
    from sqlalchemy import select

    from sealgate.store import SmtpCredential

    with runtime.db.begin() as session:
        stored = session.scalar(select(SmtpCredential.password_hash))
    assert stored.startswith("hmac-sha256$") and sender.password not in stored


def test_disabled_credential_is_refused(runtime, sender):
    with runtime.db.begin() as session:
        disable_credential(session, sender.username)
    with runtime.db.begin() as session:
        key = runtime.subkey(CREDENTIAL_KEY_PURPOSE)
        assert verify_credential(session, sender.username, sender.password, key=key) is None


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
        create_credential(session, "Nope", key=runtime.subkey(CREDENTIAL_KEY_PURPOSE))


def test_empty_or_missing_hash_never_verifies():
    from sealgate.directory import verify_password

    for stored in ("", None):
        assert not verify_password(stored, "sealgate-no-such-user")
        assert not verify_password(stored, "")

"""Generated SMTP credentials: HMAC-SHA256 under a master-key subkey, argon2 rows upgraded."""

from __future__ import annotations

import hmac

import pytest
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.directory import CREDENTIAL_KEY_PURPOSE, create_credential, verify_credential
from sealgate.directory import credentials as credentials_module
from sealgate.directory.passwords import hash_password
from sealgate.store import SmtpCredential
from tests.conftest import Sender


def _stored(runtime: Runtime, username: str) -> str:
    with runtime.db.begin() as session:
        row = session.scalar(select(SmtpCredential).where(SmtpCredential.username == username))
        assert row is not None
        return row.password_hash


def test_generated_secret_has_at_least_128_random_bits(runtime: Runtime, sender: Sender) -> None:
    # 62 symbols, 32 of them: log2(62) * 32 ≈ 190 bits.
    assert len(sender.password) == credentials_module.SECRET_LENGTH >= 22
    assert sender.password.isalnum()


def test_secret_verifies_and_wrong_secret_is_refused(runtime: Runtime, sender: Sender) -> None:
    key = runtime.subkey(CREDENTIAL_KEY_PURPOSE)
    with runtime.db.begin() as session:
        info = verify_credential(session, sender.username, sender.password, key=key)
        assert info is not None and info.username == sender.username
        assert verify_credential(session, sender.username, sender.password[:-1], key=key) is None
        assert verify_credential(session, sender.username, "", key=key) is None


def test_another_key_does_not_verify(runtime: Runtime, sender: Sender) -> None:
    # A copy of the database without the master key cannot test a candidate secret.
    with runtime.db.begin() as session:
        other = runtime.subkey("something-else")
        assert verify_credential(session, sender.username, sender.password, key=other) is None


def test_no_secret_in_the_database_in_the_clear(runtime: Runtime, sender: Sender) -> None:
    stored = _stored(runtime, sender.username)
    assert stored.startswith("hmac-sha256$")
    assert len(stored) == len("hmac-sha256$") + 64
    assert sender.password not in stored
    assert sender.password.encode().hex() not in stored


def test_argon2_row_keeps_working_and_is_upgraded_on_login(
    runtime: Runtime, sender: Sender
) -> None:
    key = runtime.subkey(CREDENTIAL_KEY_PURPOSE)
    with runtime.db.begin() as session:
        row = session.scalar(
            select(SmtpCredential).where(SmtpCredential.username == sender.username)
        )
        assert row is not None
        row.password_hash = hash_password(sender.password)
    assert _stored(runtime, sender.username).startswith("$argon2id$")
    # A wrong secret does not rewrite anything.
    with runtime.db.begin() as session:
        assert verify_credential(session, sender.username, "wrong", key=key) is None
    assert _stored(runtime, sender.username).startswith("$argon2id$")
    with runtime.db.begin() as session:
        assert verify_credential(session, sender.username, sender.password, key=key) is not None
    upgraded = _stored(runtime, sender.username)
    assert upgraded.startswith("hmac-sha256$") and sender.password not in upgraded
    with runtime.db.begin() as session:
        assert verify_credential(session, sender.username, sender.password, key=key) is not None


def test_constant_time_compare_is_used_for_known_and_unknown_names(
    runtime: Runtime, sender: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A spy on the standard library, not a stand-in: it calls the real compare_digest.
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(credentials_module.hmac, "compare_digest", spy)
    key = runtime.subkey(CREDENTIAL_KEY_PURPOSE)
    with runtime.db.begin() as session:
        assert verify_credential(session, sender.username, sender.password, key=key) is not None
        assert verify_credential(session, sender.username, "wrong", key=key) is None
        assert verify_credential(session, "sg-nobody", sender.password, key=key) is None
    # Every check, the unknown name's too, went through one compare of equal-length digests.
    assert len(calls) == 3
    assert all(len(a) == len(b) for a, b in calls)


def test_unknown_username_costs_an_hmac_not_a_shortcut(runtime: Runtime, sender: Sender) -> None:
    key = runtime.subkey(CREDENTIAL_KEY_PURPOSE)
    with runtime.db.begin() as session:
        create_credential(session, "Hospital", "second", key=key)
        # The placeholder digest must never match, whatever is typed.
        assert verify_credential(session, "sg-nobody", "", key=key) is None
        assert verify_credential(session, "sg-nobody", "0" * 64, key=key) is None

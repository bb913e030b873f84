"""TOTP secrets sealed at rest, the one-step window with no reuse, and recovery codes."""

from __future__ import annotations

import base64
import json

import pyotp
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sealgate.portal.totp import (
    RECOVERY_CODE_COUNT,
    TotpSecret,
    accepted_step,
    grouped,
    hash_recovery_code,
    new_recovery_codes,
    new_secret,
    open_secret,
    qr_data_uri,
    seal_secret,
    spend_recovery_code,
)

KEY = bytes(range(32))
NOW = 1_800_000_015.0  # 15 s into step 60_000_000
STEP = 60_000_000


def test_sealed_secret_opens_only_for_its_account_and_key():
    value = TotpSecret(new_secret().secret, 7)
    sealed = seal_secret(KEY, 1, value)
    assert value.secret not in sealed
    assert seal_secret(KEY, 1, value) != sealed  # a fresh nonce each time
    assert open_secret(KEY, 1, sealed) == value
    assert open_secret(KEY, 2, sealed) is None
    assert open_secret(bytes(32), 1, sealed) is None
    assert open_secret(KEY, 1, "") is None and open_secret(KEY, 1, "not base64!") is None


def test_a_bare_secret_sealed_elsewhere_still_opens():
    nonce = bytes(12)
    sealed = AESGCM(KEY).encrypt(nonce, b"JBSWY3DPEHPK3PXP", b"sealgate-totp:5")
    assert open_secret(KEY, 5, base64.b64encode(nonce + sealed).decode()) == TotpSecret(
        "JBSWY3DPEHPK3PXP", 0
    )


def test_plaintext_format():
    sealed = base64.b64decode(seal_secret(KEY, 3, TotpSecret("JBSWY3DPEHPK3PXP", 9)))
    plain = AESGCM(KEY).decrypt(sealed[:12], sealed[12:], b"sealgate-totp:3")
    assert json.loads(plain) == {"secret": "JBSWY3DPEHPK3PXP", "last_step": 9}


def test_window_of_one_step_each_side():
    value = TotpSecret(pyotp.random_base32())
    totp = pyotp.TOTP(value.secret)
    for offset in (-1, 0, 1):
        assert accepted_step(value, totp.at(NOW + 30 * offset), NOW) == STEP + offset
    for offset in (-2, 2):
        code = totp.at(NOW + 30 * offset)
        if code not in {totp.at(NOW + 30 * o) for o in (-1, 0, 1)}:
            assert accepted_step(value, code, NOW) is None


def test_a_code_is_taken_once():
    secret = pyotp.random_base32()
    code = pyotp.TOTP(secret).at(NOW)
    assert accepted_step(TotpSecret(secret, STEP), code, NOW) is None
    assert accepted_step(TotpSecret(secret, STEP - 1), code, NOW) == STEP
    # Nor an older code once a newer one was used.
    older = pyotp.TOTP(secret).at(NOW - 30)
    assert accepted_step(TotpSecret(secret, STEP), older, NOW) is None


def test_malformed_codes_and_secrets_are_refused():
    secret = pyotp.random_base32()
    for typed in ("", "12345", "1234567", "abcdef", "١٢٣٤٥٦"):
        assert accepted_step(TotpSecret(secret), typed, NOW) is None
    assert accepted_step(TotpSecret(""), "123456", NOW) is None
    assert accepted_step(TotpSecret("not base32 at all!"), "123456", NOW) is None


def test_recovery_codes_are_spent_once():
    codes = new_recovery_codes()
    assert len(set(codes)) == RECOVERY_CODE_COUNT
    assert all(len(code) == 11 and code[5] == "-" for code in codes)
    stored = [hash_recovery_code(KEY, 4, code) for code in codes]
    typed = codes[2].upper().replace("-", " ")
    remaining = spend_recovery_code(stored, hash_recovery_code(KEY, 4, typed))
    assert remaining is not None and len(remaining) == RECOVERY_CODE_COUNT - 1
    assert spend_recovery_code(remaining, hash_recovery_code(KEY, 4, codes[2])) is None
    # Bound to the account: the same code of another account is another hash.
    assert spend_recovery_code(stored, hash_recovery_code(KEY, 5, codes[0])) is None


def test_qr_and_grouping():
    assert qr_data_uri("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP").startswith("data:image/svg+xml")
    assert grouped("ABCDEFGHIJ") == "ABCD EFGH IJ"

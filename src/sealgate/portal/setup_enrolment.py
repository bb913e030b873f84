"""The enrolment of an account, shown by a GET (after a password set or a first login).

The set-password and login forms redirect (POST-redirect-GET), so the page with the QR code
and the recovery codes must be one a GET can show again without changing anything. The POST
seals a new secret and stores the hashes of ten recovery codes that are derived from that
secret: HMAC-SHA256 under `rt.subkey("recovery-display")` over the account id and the
secret, 50 bits each as in `totp.new_recovery_codes`. The GET opens the secret and derives
the same codes again. They are shown only while the derived codes are still the stored
ones, so codes replaced since are never shown as if they worked.
"""

from __future__ import annotations

import hashlib
import hmac

from sealgate.bootstrap import Runtime
from sealgate.portal.enrolment import Enrolment
from sealgate.portal.totp import (
    RECOVERY_CODE_COUNT,
    RECOVERY_KEY_PURPOSE,
    TOTP_KEY_PURPOSE,
    hash_recovery_code,
    new_secret,
    open_secret,
    seal_secret,
)
from sealgate.store import Account

DISPLAY_KEY_PURPOSE = "recovery-display"
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # 32 letters: 5 bits each, as in totp.py


def derived_codes(key: bytes, account_id: int, secret: str) -> list[str]:
    codes = []
    for index in range(RECOVERY_CODE_COUNT):
        message = f"{account_id}:{secret}:{index}".encode()
        digest = hmac.new(key, message, hashlib.sha256).digest()
        chars = "".join(_ALPHABET[byte % 32] for byte in digest[:10])
        codes.append(f"{chars[:5]}-{chars[5:]}")
    return codes


def begin_setup_enrolment(rt: Runtime, account: Account) -> None:
    """A new secret and new (derived) recovery codes; `totp_enabled` stays off."""
    secret = new_secret()
    account.totp_secret = seal_secret(rt.subkey(TOTP_KEY_PURPOSE), account.id, secret)
    codes = derived_codes(rt.subkey(DISPLAY_KEY_PURPOSE), account.id, secret.secret)
    recovery_key = rt.subkey(RECOVERY_KEY_PURPOSE)
    account.recovery_codes = [hash_recovery_code(recovery_key, account.id, c) for c in codes]


def setup_enrolment(rt: Runtime, account: Account) -> Enrolment | None:
    """What the enrolment page shows for `account` now; None when it has no secret."""
    secret = open_secret(rt.subkey(TOTP_KEY_PURPOSE), account.id, account.totp_secret)
    if secret is None:
        return None
    codes = derived_codes(rt.subkey(DISPLAY_KEY_PURPOSE), account.id, secret.secret)
    recovery_key = rt.subkey(RECOVERY_KEY_PURPOSE)
    stored = list(account.recovery_codes or [])
    if [hash_recovery_code(recovery_key, account.id, c) for c in codes] != stored:
        codes = []
    return Enrolment(account.email, secret, tuple(codes))

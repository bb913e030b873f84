"""The account's second factor: TOTP (RFC 6238) secrets sealed at rest, and recovery codes.

`Account.totp_secret` holds base64(nonce ‖ AES-256-GCM(JSON {"secret", "last_step"})) under
the key `rt.subkey("totp")`, with the account id as associated data so a sealed secret copied
to another account does not open. `last_step` is the 30-second time step of the last code
accepted: a code is taken only for a later step, so a code seen over a shoulder (or replayed)
within its window is refused. A plaintext that is a bare base32 secret (no JSON) is read
with `last_step` 0, for secrets sealed by other tools.

Recovery codes are 10 random codes shown once at enrolment; `Account.recovery_codes` keeps
HMAC-SHA256 hashes under `rt.subkey("recovery-code")`. With 50 random bits each, a keyed hash
is as good as argon2 here and lets a login check all ten at once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TOTP_KEY_PURPOSE = "totp"
RECOVERY_KEY_PURPOSE = "recovery-code"
TOTP_STEP = 30
TOTP_DIGITS = 6
RECOVERY_CODE_COUNT = 10
ISSUER = "sealgate"
_NONCE_BYTES = 12
_RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: read off paper


@dataclass(frozen=True)
class TotpSecret:
    secret: str  # base32
    last_step: int = 0


def _aad(account_id: int) -> bytes:
    return f"sealgate-totp:{account_id}".encode()


def seal_secret(key: bytes, account_id: int, value: TotpSecret) -> str:
    """The text to store in `Account.totp_secret`."""
    plain = json.dumps({"secret": value.secret, "last_step": value.last_step}).encode()
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plain, _aad(account_id))
    return base64.b64encode(nonce + sealed).decode()


def open_secret(key: bytes, account_id: int, stored: str) -> TotpSecret | None:
    """The secret in `Account.totp_secret`, or None when there is none or it does not open."""
    try:
        raw = base64.b64decode(stored, validate=True)
        plain = AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(account_id))
    except (binascii.Error, ValueError, InvalidTag):
        return None
    try:
        fields = json.loads(plain)
        return TotpSecret(str(fields["secret"]), int(fields.get("last_step", 0)))
    except (ValueError, TypeError, KeyError):
        return TotpSecret(plain.decode("ascii", "replace").strip())


def new_secret() -> TotpSecret:
    return TotpSecret(pyotp.random_base32())


def looks_like_totp(typed: str) -> bool:
    return len(typed) == TOTP_DIGITS and typed.isascii() and typed.isdigit()


def accepted_step(value: TotpSecret, typed: str, now: float) -> int | None:
    """The time step `typed` is the code of (one step either side of now), if later than the
    last accepted one; else None."""
    if not looks_like_totp(typed) or not value.secret:
        return None
    try:
        totp = pyotp.TOTP(value.secret, digits=TOTP_DIGITS, interval=TOTP_STEP)
        current = int(now // TOTP_STEP)
        candidates = [
            (step, totp.generate_otp(step)) for step in (current - 1, current, current + 1)
        ]
    except (binascii.Error, ValueError):
        return None
    for step, code in candidates:
        if hmac.compare_digest(code, typed) and step > value.last_step:
            return step
    return None


def provisioning_uri(value: TotpSecret, email: str) -> str:
    return pyotp.TOTP(value.secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The otpauth URI as an SVG QR code in a data: URI (the page CSP allows img-src data:)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def grouped(secret: str) -> str:
    """ABCD EFGH …: the secret as people type it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def new_recovery_codes() -> list[str]:
    """Ten codes like `k7m2x-p9qhz`, 50 random bits each."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        chars = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{chars[:5]}-{chars[5:]}")
    return codes


def normalise_recovery_code(typed: str) -> str:
    return "".join(ch for ch in typed.lower() if ch not in " -\t")


def hash_recovery_code(key: bytes, account_id: int, code: str) -> str:
    message = f"{account_id}:{normalise_recovery_code(code)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def spend_recovery_code(stored: list[str], typed_hash: str) -> list[str] | None:
    """The stored hashes without the one typed, or None when it is not among them."""
    for index, candidate in enumerate(stored):
        if hmac.compare_digest(candidate, typed_hash):
            return stored[:index] + stored[index + 1 :]
    return None

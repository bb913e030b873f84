"""Enrolling an account's second factor: a TOTP secret as a QR code, and recovery codes.

Started by a right password on an account without `totp_enabled` (see `login.py`): a new
secret is sealed into `Account.totp_secret` and ten new recovery-code hashes replace any in
`Account.recovery_codes`, while `totp_enabled` stays off. The page shows the QR code, the
secret as text and the recovery codes, once. The first valid code from the app, posted to
/login/enrol (`second_factor.py`), switches `totp_enabled` on. Logging in again before that
starts over with a new secret and new codes.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from sealgate.bootstrap import Runtime
from sealgate.portal.csrf import render_form
from sealgate.portal.totp import (
    RECOVERY_KEY_PURPOSE,
    TOTP_DIGITS,
    TOTP_KEY_PURPOSE,
    TotpSecret,
    grouped,
    hash_recovery_code,
    new_recovery_codes,
    new_secret,
    provisioning_uri,
    qr_data_uri,
    seal_secret,
)
from sealgate.store import Account


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows; no recovery codes when it is shown again."""

    email: str
    secret: TotpSecret
    recovery_codes: tuple[str, ...] = ()


def start_enrolment(rt: Runtime, account: Account) -> Enrolment:
    """Give the (not yet enrolled) account a new secret and new recovery codes."""
    secret = new_secret()
    codes = new_recovery_codes()
    account.totp_secret = seal_secret(rt.subkey(TOTP_KEY_PURPOSE), account.id, secret)
    recovery_key = rt.subkey(RECOVERY_KEY_PURPOSE)
    account.recovery_codes = [hash_recovery_code(recovery_key, account.id, c) for c in codes]
    return Enrolment(account.email, secret, tuple(codes))


def enrolment_page(
    request: Request, enrolment: Enrolment, *, status: int = 200, error: str | None = None
) -> Response:
    return render_form(
        request,
        "enrol.html",
        status=status,
        qr=qr_data_uri(provisioning_uri(enrolment.secret, enrolment.email)),
        secret=grouped(enrolment.secret.secret),
        recovery_codes=enrolment.recovery_codes,
        digits=TOTP_DIGITS,
        error=error,
    )

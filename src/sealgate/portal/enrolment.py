"""Enrolling an account's second factor: a TOTP secret as a QR code, and recovery codes.

Started by a right password on an account without `totp_enabled` (see `login.py`) or by
setting a password from a link: a new secret is sealed into `Account.totp_secret` and ten
new recovery-code hashes replace any in `Account.recovery_codes`, while `totp_enabled` stays
off (`setup_enrolment.py`). The page (GET /account/enrol) shows the QR code, the secret as
text and the recovery codes. The first valid code from the app, posted to /login/enrol
(`second_factor.py`), switches `totp_enabled` on. Logging in again before that starts over
with a new secret and new codes.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from sealgate.portal.csrf import render_form
from sealgate.portal.totp import (
    TOTP_DIGITS,
    TotpSecret,
    grouped,
    provisioning_uri,
    qr_data_uri,
)


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows; no recovery codes when it is shown again."""

    email: str
    secret: TotpSecret
    recovery_codes: tuple[str, ...] = ()


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

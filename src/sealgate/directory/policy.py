"""An organisation's Email Security Policy settings, as an admin sees and changes them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from sealgate.directory.errors import DirectoryError
from sealgate.directory.orgs import organisation_named
from sealgate.store import Organisation
from sealgate.transport import TransportLevel

# "off" switches Transport Security Compliance off; the others are minimum transport levels.
TSC_CHOICES = ("off", *(level.to_text() for level in TransportLevel if level > TransportLevel.NONE))
# The bounds an admin may set the access-code minimum length within.
ACCESS_CODE_MIN_LENGTH_RANGE = (1, 128)
# The bounds of an organisation's default expiry in days (about ten years at most).
EXPIRY_DAYS_RANGE = (1, 3650)
# What `set_policy(expiry_days=...)` takes to switch the default expiry off.
EXPIRY_OFF = "off"
# The bounds of an organisation's content retention in days (0: at the next reaper pass).
RETENTION_DAYS_RANGE = (0, 3650)
# The bounds of the days after content deletion that rows are pseudonymised (retention/).
PSEUDONYMISE_DAYS_RANGE = (1, 3650)
# The bounds of "remember this device" in days (issue 11: at most 30).
REMEMBER_DEVICE_DAYS_RANGE = (1, 30)


@dataclass(frozen=True)
class PolicyInfo:
    """The policy columns of one organisation, with `tsc` as text ("off" or a level name)."""

    org: str
    sms: bool
    access_code: bool
    email_verification: bool
    tsc: str
    nta7516: bool
    access_code_min_length: int
    expiry_days: int | None  # None: new messages do not expire unless a header says so
    show_subject: bool  # notifications show the message's subject
    retention_days: int  # content is deleted this long after the last recipient finished
    # Rows naming people are pseudonymised this long after the content was deleted (None: never).
    pseudonymise_days: int | None
    # None: guests prove themselves every time; else days a browser may stay remembered.
    remember_device_days: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _info(org: Organisation) -> PolicyInfo:
    return PolicyInfo(
        org=org.name,
        sms=org.policy_sms,
        access_code=org.policy_access_code,
        email_verification=org.policy_email_verification,
        tsc=org.policy_tsc,
        nta7516=org.nta7516,
        access_code_min_length=org.policy_access_code_min_length,
        expiry_days=org.policy_expiry_days,
        show_subject=org.policy_show_subject,
        retention_days=org.policy_retention_days,
        pseudonymise_days=org.policy_pseudonymise_days,
        remember_device_days=org.policy_remember_device_days,
    )


def get_policy(session: Session, org_name: str) -> PolicyInfo:
    return _info(organisation_named(session, org_name))


def set_policy(
    session: Session,
    org_name: str,
    *,
    sms: bool | None = None,
    access_code: bool | None = None,
    email_verification: bool | None = None,
    tsc: str | None = None,
    nta7516: bool | None = None,
    access_code_min_length: int | None = None,
    expiry_days: int | str | None = None,
    show_subject: bool | None = None,
    retention_days: int | None = None,
    pseudonymise_days: int | str | None = None,
    remember_device_days: int | str | None = None,
) -> PolicyInfo:
    """Change the settings given (None leaves one as it is) and return the whole policy.

    `expiry_days`, `pseudonymise_days` and `remember_device_days` are a number of days or
    `EXPIRY_OFF` (switching remembering off makes every remembered browser of the
    organisation ask for a proof again: the portal ignores their rows).
    """
    org = organisation_named(session, org_name)
    if remember_device_days is not None:
        org.policy_remember_device_days = _days_or_off(
            remember_device_days, "remembering of devices", REMEMBER_DEVICE_DAYS_RANGE
        )
    if expiry_days is not None:
        org.policy_expiry_days = _days_or_off(expiry_days, "default expiry", EXPIRY_DAYS_RANGE)
    if pseudonymise_days is not None:
        org.policy_pseudonymise_days = _days_or_off(
            pseudonymise_days, "pseudonymisation delay", PSEUDONYMISE_DAYS_RANGE
        )
    if retention_days is not None:
        low, high = RETENTION_DAYS_RANGE
        if not low <= retention_days <= high:
            raise DirectoryError(f"the retention must be {low} to {high} days")
        org.policy_retention_days = retention_days
    if access_code_min_length is not None:
        low, high = ACCESS_CODE_MIN_LENGTH_RANGE
        if not low <= access_code_min_length <= high:
            raise DirectoryError(f"the access code minimum length must be between {low} and {high}")
        org.policy_access_code_min_length = access_code_min_length
    if tsc is not None:
        tsc = tsc.strip().lower()
        if tsc not in TSC_CHOICES:
            raise DirectoryError(
                f"unknown transport security level {tsc!r} ({', '.join(TSC_CHOICES)})"
            )
        org.policy_tsc = tsc
    if sms is not None:
        org.policy_sms = sms
    if access_code is not None:
        org.policy_access_code = access_code
    if email_verification is not None:
        org.policy_email_verification = email_verification
    if nta7516 is not None:
        org.nta7516 = nta7516
    if show_subject is not None:
        org.policy_show_subject = show_subject
    session.flush()
    return _info(org)


def _days_or_off(value: int | str, what: str, bounds: tuple[int, int]) -> int | None:
    if value == EXPIRY_OFF:
        return None
    low, high = bounds
    if isinstance(value, str) or not low <= value <= high:
        raise DirectoryError(f"the {what} must be {EXPIRY_OFF} or {low} to {high} days")
    return value


def remember_device_days(session: Session, org_id: int) -> int | None:
    """Days a guest's browser may stay remembered for this organisation (None: not allowed)."""
    return session.get_one(Organisation, org_id).policy_remember_device_days


def expiry_days_default(session: Session, org_id: int) -> int | None:
    """The organisation's default expiry of new messages in days, or None when it has none."""
    return session.get_one(Organisation, org_id).policy_expiry_days


def access_code_minimum(session: Session, org_id: int) -> int:
    """The fewest characters an access code of this organisation may have."""
    return session.get_one(Organisation, org_id).policy_access_code_min_length

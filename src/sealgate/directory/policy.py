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
) -> PolicyInfo:
    """Change the settings given (None leaves one as it is) and return the whole policy."""
    org = organisation_named(session, org_name)
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
    session.flush()
    return _info(org)


def access_code_minimum(session: Session, org_id: int) -> int:
    """The fewest characters an access code of this organisation may have."""
    return session.get_one(Organisation, org_id).policy_access_code_min_length

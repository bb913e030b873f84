"""The facts a decision is made from: plain frozen values, gathered by `directory/facts.py`.

Nothing here knows about rows, sockets or clocks; tests build these directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sealgate.transport import TransportLevel


class Method(StrEnum):
    ACCOUNT = "account"
    NTA7516 = "nta7516"
    IDD = "idd"
    ACCESS_RIGHT_SMS = "access_right_sms"
    ACCESS_RIGHT_ACCESS_CODE = "access_right_access_code"
    DIRECT_DELIVERY = "direct_delivery"
    TRANSPORT_SECURITY = "transport_security"
    SMS = "sms"
    ACCESS_CODE = "access_code"
    EMAIL_VERIFICATION = "email_verification"
    NONE = "none"


class Delivery(StrEnum):
    NOTIFICATION = "notification"
    DIRECT = "direct"
    NONE = "none"


@dataclass(frozen=True)
class OrgPolicy:
    """The sender organisation's Email Security Policy settings."""

    sms: bool = True
    access_code: bool = True
    email_verification: bool = True
    tsc: TransportLevel | None = None  # Transport Security Compliance minimum; None = off
    nta7516: bool = False  # the organisation itself is NTA 7516 compliant


@dataclass(frozen=True)
class AccessRight:
    """A valid `zivver-access-right` header for one recipient."""

    method: str  # "sms" or "access_code"
    value: str  # E.164 phone number, or the access code


@dataclass(frozen=True)
class ContactMethod:
    """A contact-book entry for the recipient (personal wins over shared when gathering)."""

    kind: str  # "sms" or "access_code"
    opened: bool  # the recipient once opened a message with it


@dataclass(frozen=True)
class DirectDeliveryHeader:
    """A `zivver-direct-delivery` header: the minimum level it demands (defaults: PKIX).

    `tls_version` ("1.2" or "1.3") is the minimum TLS version the header asked for. The
    transport levels have no TLS-version axis, so policy decides on `minimum` alone and
    delivery must enforce "1.3" on the connection, never deliver over TLS 1.2 instead.
    """

    minimum: TransportLevel = TransportLevel.PKIX
    tls_version: str = "1.2"


@dataclass(frozen=True)
class MessageFacts:
    """Facts about the submitted message, the same for all its recipients."""

    sender: OrgPolicy
    direct_delivery: DirectDeliveryHeader | None = None
    # True only for `zivver-minimum-recipient-verification: email-verification` exactly.
    email_verification_fallback: bool = False


@dataclass(frozen=True)
class RecipientFacts:
    address: str
    has_account: bool = False
    idd: bool = False  # the recipient's organisation enabled IDD for this domain
    nta7516: bool = False  # recipient is a compliant org on this system or a listed domain
    access_right: AccessRight | None = None
    contacts: tuple[ContactMethod, ...] = ()
    transport_level: TransportLevel | None = None  # None = unknown (= no requirement met)

"""The rules of the Email Security Policy: one check per verification method.

Each rule answers one question about one recipient and says why: `Hit` (this method applies,
with its delivery) or `Skip` (it does not, and the reason an admin reads in the trace). A
rule never looks at another rule; their order is data in `tables.py` (Mailman's rules and
chains). Reasons name headers, levels and settings, never a phone number or an access code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sealgate.mail import Address, AddressError
from sealgate.policy.facts import Delivery, MessageFacts, Method, OrgPolicy, RecipientFacts
from sealgate.transport import TransportLevel

# The IDD requirement: TLS >= 1.2 with a valid certificate, DNSSEC with a valid certificate,
# or DANE. Each of those is at least PKIX on our scale.
IDD_MINIMUM = TransportLevel.PKIX
NTA7516_MINIMUM = TransportLevel.PKIX


@dataclass(frozen=True)
class Hit:
    """The rule applies: the recipient verifies with `method` and is sent `delivery`."""

    method: Method
    delivery: Delivery
    reason: str


@dataclass(frozen=True)
class Skip:
    """The rule does not apply, and why."""

    reason: str


Outcome = Hit | Skip
Check = Callable[[RecipientFacts, MessageFacts], Outcome]


@dataclass(frozen=True)
class Rule:
    """One row of a priority table: a name for the trace, a one-line why, and its check."""

    name: str
    why: str
    check: Check


def _domain(recipient: RecipientFacts) -> str:
    """The recipient's domain as a reason shows it (the U-label of `mail.Domain`)."""
    try:
        return Address.parse(recipient.address).domain.unicode
    except AddressError:
        return recipient.address


def meets(level: TransportLevel | None, minimum: TransportLevel) -> bool:
    """Whether a (possibly unknown) level satisfies a minimum; unknown never does."""
    return level is not None and level >= minimum


def _servers(recipient: RecipientFacts) -> str:
    """What is known of the recipient domain's mail servers, as a clause for a reason."""
    level, domain = recipient.transport_level, _domain(recipient)
    if level is None:
        return f"the transport level of the mail servers of {domain} is unknown"
    if level is TransportLevel.NONE:
        return f"the mail servers of {domain} offer no TLS 1.2"
    return f"the mail servers of {domain} reach {level.name}"


def _check_idd(recipient: RecipientFacts, message: MessageFacts) -> Outcome:
    domain = _domain(recipient)
    if not recipient.idd:
        return Skip(
            f"the recipient's organisation has not enabled Inbound Direct Delivery for {domain}"
        )
    if not meets(recipient.transport_level, IDD_MINIMUM):
        return Skip(
            f"Inbound Direct Delivery is enabled for {domain}, but {_servers(recipient)}; "
            "the IDD requirement is at least PKIX"
        )
    return Hit(
        Method.IDD,
        Delivery.DIRECT,
        f"the recipient's organisation enabled Inbound Direct Delivery for {domain} and "
        f"{_servers(recipient)}, meeting the IDD requirement (at least PKIX)",
    )


def _check_account(recipient: RecipientFacts, message: MessageFacts) -> Outcome:
    if not recipient.has_account:
        return Skip("the recipient has no account on this system")
    return Hit(
        Method.ACCOUNT,
        Delivery.NOTIFICATION,
        "the recipient has an account on this system and reads the message after logging in; "
        "no later rule can change that",
    )


def _check_nta7516(recipient: RecipientFacts, message: MessageFacts) -> Outcome:
    missing = []
    if not message.sender.nta7516:
        missing.append("the sender's organisation is not NTA 7516 compliant")
    if not recipient.nta7516:
        missing.append(
            "the recipient is neither an NTA 7516 compliant organisation on this system "
            "nor in a listed NTA 7516 domain"
        )
    if missing:
        return Skip(" and ".join(missing))
    level = recipient.transport_level
    if level is not None and level < NTA7516_MINIMUM:
        # Unknown is not a skip: the compliance is agreed, and delivery proves PKIX itself.
        return Skip(
            f"both parties are NTA 7516 compliant, but {_servers(recipient)}; "
            "NTA 7516 needs at least PKIX"
        )
    return Hit(
        Method.NTA7516,
        Delivery.DIRECT,
        "the sender's organisation and the recipient are both NTA 7516 compliant; "
        "delivery needs at least PKIX on the connection at delivery time",
    )


def _check_direct_delivery(recipient: RecipientFacts, message: MessageFacts) -> Outcome:
    header = message.direct_delivery
    if header is None:
        return Skip("the message has no zivver-direct-delivery header")
    asked = f"zivver-direct-delivery asks for at least {header.minimum.name}"
    if not meets(recipient.transport_level, header.minimum):
        return Skip(f"{asked}, but {_servers(recipient)}")
    tls13 = " (TLS 1.3 is enforced at delivery time)" if header.tls_version == "1.3" else ""
    return Hit(Method.DIRECT_DELIVERY, Delivery.DIRECT, f"{asked} and {_servers(recipient)}{tls13}")


_SMS_WORDS = "SMS codes"
_ACCESS_CODE_WORDS = "access codes"


def _enabled(policy: OrgPolicy, kind: str) -> bool:
    return policy.sms if kind == "sms" else policy.access_code


def _check_access_right(recipient: RecipientFacts, message: MessageFacts) -> Outcome:
    right = recipient.access_right
    if right is None:
        return Skip("no zivver-access-right header names this recipient")
    if right.method == "sms":
        method, words = Method.ACCESS_RIGHT_SMS, _SMS_WORDS
        asks = "the zivver-access-right header asks for an SMS code to the phone number it gives"
    elif right.method == "access_code":
        method, words = Method.ACCESS_RIGHT_ACCESS_CODE, _ACCESS_CODE_WORDS
        asks = "the zivver-access-right header gives an access code"
    else:
        return Skip(f"the zivver-access-right header names an unknown method {right.method!r}")
    if not _enabled(message.sender, right.method):
        return Skip(f"{asks}, but the organisation's policy disabled {words}")
    return Hit(method, Delivery.NOTIFICATION, asks)


def transport_security_minimum(message: MessageFacts) -> TransportLevel | None:
    """What transport security compliance demands of this message: None when it is off.

    With a `zivver-direct-delivery` header, that header's minimum is a floor for every direct
    delivery of the message below NTA 7516 (SPEC.md "Direct delivery"): the stronger of the
    organisation's minimum and the header's.
    """
    minimum = message.sender.tsc
    if minimum is None or message.direct_delivery is None:
        return minimum
    return max(minimum, message.direct_delivery.minimum)


def _check_transport_security(recipient: RecipientFacts, message: MessageFacts) -> Outcome:
    minimum = transport_security_minimum(message)
    tsc = message.sender.tsc
    if minimum is None or tsc is None:
        return Skip("the organisation's transport security compliance is off")
    asked = f"the organisation's transport security minimum is {tsc.name}"
    if minimum > tsc:
        floor = f"the zivver-direct-delivery minimum {minimum.name}"
        if not meets(recipient.transport_level, minimum):
            return Skip(
                f"{asked}, but {_servers(recipient)}, below {floor}, "
                "which no direct delivery of this message may go under"
            )
        asked = f"{asked}, raised to {floor} for this message,"
    if not meets(recipient.transport_level, minimum):
        return Skip(f"{asked}, but {_servers(recipient)}")
    return Hit(Method.TRANSPORT_SECURITY, Delivery.DIRECT, f"{asked} and {_servers(recipient)}")


def _contact_check(kind: str, method: Method, entry: str, words: str) -> Check:
    """The check for contact-book entries of one kind: present, enabled, and once opened."""

    def check(recipient: RecipientFacts, message: MessageFacts) -> Outcome:
        entries = [contact for contact in recipient.contacts if contact.kind == kind]
        if not entries:
            return Skip(f"the contact book has no {entry} for this recipient")
        found = f"the contact book has an {entry} for this recipient"
        if not _enabled(message.sender, kind):
            return Skip(f"{found}, but the organisation's policy disabled {words}")
        if not any(contact.opened for contact in entries):
            return Skip(f"{found}, but the recipient has not yet opened a message with it")
        return Hit(
            method,
            Delivery.NOTIFICATION,
            f"{found} and the recipient once opened a message with it",
        )

    return check


def fallback_prevented(recipient: RecipientFacts, message: MessageFacts) -> bool:
    """Whether verification email is ruled out: the code mail itself would travel too weakly.

    Only a `zivver-direct-delivery` header sets a minimum for the connection; when the
    recipient's servers do not meet it (unknown counts as not met), the code mail would cross
    a weaker connection, which only `zivver-minimum-recipient-verification:
    email-verification` permits.
    """
    header = message.direct_delivery
    if header is None or message.email_verification_fallback:
        return False
    return not meets(recipient.transport_level, header.minimum)


def _check_email_verification(recipient: RecipientFacts, message: MessageFacts) -> Outcome:
    header = message.direct_delivery
    if fallback_prevented(recipient, message):
        assert header is not None
        return Skip(
            f"fallback prevented: the verification code mail would travel below the "
            f"zivver-direct-delivery minimum {header.minimum.name} ({_servers(recipient)}), "
            "and no zivver-minimum-recipient-verification: email-verification header permits it"
        )
    if message.sender.email_verification:
        reason = "the last resort: a code mailed to the recipient verifies the address"
    else:
        reason = (
            "the last resort: the organisation's policy disabled verification email for users, "
            "but it is still used so that the message does not fail to send"
        )
    if header is not None and not meets(recipient.transport_level, header.minimum):
        reason += (
            "; zivver-minimum-recipient-verification: email-verification permits the code mail "
            f"below the zivver-direct-delivery minimum {header.minimum.name}"
        )
    return Hit(Method.EMAIL_VERIFICATION, Delivery.NOTIFICATION, reason)


IDD = Rule(
    "idd",
    "The recipient's organisation takes mail directly when its servers meet the IDD requirement.",
    _check_idd,
)
ACCOUNT = Rule(
    "account",
    "An account holder always reads in their account; nothing later overrides it.",
    _check_account,
)
NTA7516 = Rule(
    "nta7516",
    "Two NTA 7516 compliant parties exchange mail directly over a secured connection.",
    _check_nta7516,
)
DIRECT_DELIVERY = Rule(
    "direct_delivery",
    "The sender asked for direct delivery when the recipient's servers meet a minimum level.",
    _check_direct_delivery,
)
ACCESS_RIGHT = Rule(
    "access_right",
    "The sender named the recipient's method in a zivver-access-right header.",
    _check_access_right,
)
TRANSPORT_SECURITY = Rule(
    "transport_security",
    "The organisation delivers directly to servers that meet its transport security minimum.",
    _check_transport_security,
)
CONTACT_SMS = Rule(
    "contact_sms",
    "A contact-book phone number the recipient once verified with is used again.",
    _contact_check("sms", Method.SMS, "SMS entry", _SMS_WORDS),
)
CONTACT_ACCESS_CODE = Rule(
    "contact_access_code",
    "A contact-book access code the recipient once verified with is used again.",
    _contact_check("access_code", Method.ACCESS_CODE, "access code entry", _ACCESS_CODE_WORDS),
)
EMAIL_VERIFICATION = Rule(
    "email_verification",
    "A code mailed to the recipient is the last resort, so that nothing fails to send.",
    _check_email_verification,
)

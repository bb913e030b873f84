"""Which proof a recipient gives in the portal, from the method the policy chose for it.

(pure) The policy decides a method per recipient (`Recipient.method`); the portal only needs
to know what the guest must show to read: a code from a mail, a code from an SMS, the access
code agreed with the sender, or an account login. Methods delivered directly (NTA 7516, IDD,
transport security, the direct-delivery header) reach the portal only through the download
link of a large attachment; SPEC.md ("Direct delivery") asks for an account login when the
recipient has an account, and the verification email otherwise.
"""

from __future__ import annotations

from enum import StrEnum

import phonenumbers


class Proof(StrEnum):
    EMAIL_CODE = "email_code"
    SMS_CODE = "sms_code"
    ACCESS_CODE = "access_code"
    ACCOUNT = "account"


_PROOFS: dict[str, Proof] = {
    "sms": Proof.SMS_CODE,
    "access_right_sms": Proof.SMS_CODE,
    "access_code": Proof.ACCESS_CODE,
    "access_right_access_code": Proof.ACCESS_CODE,
    "account": Proof.ACCOUNT,
}


# The methods whose message went straight into the recipient's mailbox.
DIRECT_METHODS = frozenset({"nta7516", "idd", "transport_security", "direct_delivery"})


def proof_for(method: str, *, has_account: bool = False) -> Proof:
    """The proof for a stored method; anything not listed proves the address by mail.

    `has_account` (the address has an active account) only matters for direct methods: an
    account holder logs in, as for any message; no one else has more than the address.
    """
    if method in DIRECT_METHODS:
        return Proof.ACCOUNT if has_account else Proof.EMAIL_CODE
    return _PROOFS.get(method, Proof.EMAIL_CODE)


def marks_contact_opened(proof: Proof) -> bool:
    """The "once opened" rule: contact-book SMS and access codes count after one success."""
    return proof in (Proof.SMS_CODE, Proof.ACCESS_CODE)


MASK = "\u2022\u2022\u2022 \u2022\u2022\u2022"  # ••• •••


def mask_phone(e164: str) -> str:
    """+31 6 ••• ••• 78: the country, the first digit and the last two, for recognition only."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return f"{MASK} {e164[-2:]}" if len(e164) >= 6 else MASK
    national = str(number.national_number)
    if len(national) < 6:
        return f"+{number.country_code} {MASK}"
    return f"+{number.country_code} {national[0]} {MASK} {national[-2:]}"

"""Routing: ask policy about each recipient and turn its decision into what gets queued.

facts (directory) -> decide (policy) -> the verification data the recipient row carries
(phone, access code hash + hint, the contact used) and the job queued for it: a notification
with a link, a direct delivery held for the transport stage, or a DSN to the sender when
policy left no safe way to deliver.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sealgate.directory import access_code_minimum, hash_password, verify_password
from sealgate.directory.facts import find_contact, message_facts, recipient_facts
from sealgate.intake.control_headers import (
    ControlHeaders,
    parse_access_rights,
    parse_direct_delivery,
    parse_minimum_verification,
)
from sealgate.policy import Decision, decide
from sealgate.policy.facts import AccessRight, MessageFacts, Method
from sealgate.transport import TransportFacts


@dataclass(frozen=True)
class MessagePolicy:
    """What policy needs from one message: shared facts and the parsed access rights."""

    facts: MessageFacts
    access_rights: Mapping[str, AccessRight]


@dataclass(frozen=True)
class Verification:
    """What a recipient verifies against, copied onto its row."""

    phone: str = ""
    access_code_hash: str = ""
    access_code_hint: str = ""
    contact_id: int | None = None


def message_policy(
    session: Session,
    org_id: int,
    controls: ControlHeaders,
    recipients: Iterable[str],
    default_region: str,
    code_minimum: int | None = None,
) -> MessagePolicy:
    """Parse the control headers (ControlHeaderError if invalid) and read the org's policy.

    An access code must have `code_minimum` characters; None means the organisation's
    minimum now (a message accepted already passes 1, so a raised minimum cannot strand it).
    """
    if code_minimum is None:
        code_minimum = access_code_minimum(session, org_id)
    rights = parse_access_rights(controls.access_rights, recipients, default_region, code_minimum)
    facts = message_facts(
        session,
        org_id,
        parse_direct_delivery(controls.direct_delivery),
        parse_minimum_verification(controls.minimum_recipient_verification),
    )
    return MessagePolicy(facts, {address.lower(): right for address, right in rights.items()})


def decide_recipient(
    session: Session,
    policy: MessagePolicy,
    *,
    org_id: int,
    account_id: int | None,
    address: str,
    transport: TransportFacts,
) -> Decision:
    facts = recipient_facts(
        session,
        sender_org_id=org_id,
        sender_account_id=account_id,
        address=address,
        access_right=policy.access_rights.get(address.lower()),
        transport=transport,
        transport_matters=(
            policy.facts.sender.tsc is not None or policy.facts.direct_delivery is not None
        ),
    )
    return decide(facts, policy.facts)


def verification_for(
    session: Session,
    policy: MessagePolicy,
    decision: Decision,
    *,
    org_id: int,
    account_id: int | None,
    address: str,
) -> Verification:
    """The phone or access code the chosen method checks, from the header or the contact.

    A header that names the same phone or code as a contact-book entry links the entry, so
    that opening this message is the "once opened" that lets the entry apply by itself later.
    """
    method = decision.method
    right = policy.access_rights.get(address.lower())
    if method == Method.ACCESS_RIGHT_SMS and right is not None:
        contact = find_contact(session, org_id, account_id, address, "sms")
        same = contact is not None and contact.phone == right.value
        return Verification(phone=right.value, contact_id=contact.id if same else None)
    if method == Method.ACCESS_RIGHT_ACCESS_CODE and right is not None:
        contact = find_contact(session, org_id, account_id, address, "access_code")
        same = contact is not None and verify_password(contact.code_hash, right.value)
        return Verification(
            access_code_hash=hash_password(right.value),
            contact_id=contact.id if same else None,
        )
    if method in (Method.SMS, Method.ACCESS_CODE):
        contact = find_contact(session, org_id, account_id, address, str(method))
        if contact is not None:
            return Verification(
                phone=contact.phone,
                access_code_hash=contact.code_hash,
                access_code_hint=contact.hint,
                contact_id=contact.id,
            )
    return Verification()


def refusal_reason(decision: Decision) -> str:
    """Why policy left no way to deliver: the reasons of its last steps, for the DSN."""
    return "; ".join(step.reason for step in decision.trace[-2:])

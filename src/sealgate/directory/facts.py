"""Turn rows into the plain facts policy decides from: the one place that does so.

`sealgate explain` and intake both call these, so that what an admin is shown is what a
real message gets. Each function reads; none writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from sealgate.directory.batch_facts import BatchDirectory
from sealgate.mail import address_key
from sealgate.policy import (
    AccessRight,
    DirectDeliveryHeader,
    MessageFacts,
    OrgPolicy,
    RecipientFacts,
)
from sealgate.store import Account, Organisation
from sealgate.transport import TransportFacts, TransportLevel


@dataclass(frozen=True)
class ContactEntry:
    """The contact-book entry a recipient would verify with, with what intake copies from it."""

    id: int
    owner_account_id: int | None
    address: str
    kind: str  # "sms" or "access_code"
    phone: str  # E.164, for "sms"
    code_hash: str  # argon2, for "access_code"
    hint: str
    opened_at: datetime | None

    @property
    def opened(self) -> bool:
        return self.opened_at is not None


def org_policy(session: Session, org_id: int) -> OrgPolicy:
    """The Email Security Policy of an organisation as policy reads it."""
    org = session.get_one(Organisation, org_id)
    tsc = None if org.policy_tsc == "off" else TransportLevel.from_text(org.policy_tsc)
    return OrgPolicy(
        sms=org.policy_sms,
        access_code=org.policy_access_code,
        email_verification=org.policy_email_verification,
        tsc=tsc,
        nta7516=org.nta7516,
    )


def message_facts(
    session: Session, org_id: int, direct_delivery: DirectDeliveryHeader | None, fallback: bool
) -> MessageFacts:
    """The facts shared by every recipient of one message from `org_id`.

    `direct_delivery` and `fallback` come from the message's parsed control headers.
    """
    return MessageFacts(
        sender=org_policy(session, org_id),
        direct_delivery=direct_delivery,
        email_verification_fallback=fallback,
    )


def find_contact(
    session: Session, sender_org_id: int, sender_account_id: int | None, address: str, kind: str
) -> ContactEntry | None:
    """The entry of one kind for `address`: the sender's personal one first, then the shared
    one (`BatchDirectory.entries`, for one recipient)."""
    books = (sender_org_id, sender_account_id)
    row = BatchDirectory(session).entries(books, address).get(kind)
    if row is None:
        return None
    return ContactEntry(
        row.id,
        row.owner_account_id,
        row.address,
        row.kind,
        row.phone,
        row.code_hash,
        row.hint,
        row.opened_at,
    )


def has_account(session: Session, address: str) -> bool:
    """Whether `address` has an active account (asked when routing and when a link opens)."""
    return bool(
        session.scalar(
            select(exists().where(Account.email == address_key(address), Account.active.is_(True)))
        )
    )


def recipient_facts(
    session: Session,
    *,
    sender_org_id: int,
    sender_account_id: int | None,
    address: str,
    access_right: AccessRight | None,
    transport: TransportFacts,
    transport_matters: bool = True,
) -> RecipientFacts:
    """Everything policy needs to know about one recipient of a message from this sender:
    `BatchDirectory`'s answer for a batch of one (see there)."""
    return BatchDirectory(session).recipient_facts(
        (sender_org_id, sender_account_id),
        address=address,
        access_right=access_right,
        transport=transport,
        transport_matters=transport_matters,
    )

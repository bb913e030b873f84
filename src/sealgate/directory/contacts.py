"""Contact books: shared (per organisation) and personal (per account) entries per recipient.

An entry holds what a recipient verifies with: a phone number for SMS codes (E.164) or an
access code agreed out of band (kept only as an argon2 hash) with an optional hint. Policy
applies an entry automatically only after the recipient once opened a message with it
(`opened_at`), which the portal records. Listings never show codes or hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.directory.accounts import normalise_address
from sealgate.directory.errors import DirectoryError
from sealgate.directory.orgs import OrgInfo, find_org
from sealgate.directory.passwords import hash_password
from sealgate.directory.policy import access_code_minimum
from sealgate.mail import Address, AddressError
from sealgate.store import Account, Contact, utcnow

KINDS = ("sms", "access_code")
_HINT_MAX = 200


@dataclass(frozen=True)
class ContactInfo:
    """A contact-book entry as an admin may see it: no code, no hash."""

    id: int
    org: str
    owner: str | None  # the account's address for a personal entry; None for a shared one
    address: str
    kind: str
    phone: str
    hint: str
    opened_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "org": self.org,
            "owner": self.owner,
            "address": self.address,
            "kind": self.kind,
            "phone": self.phone,
            "hint": self.hint,
            "opened": self.opened_at is not None,
            "opened_at": self.opened_at.isoformat() if self.opened_at else None,
        }


def normalise_phone(phone: str, default_region: str) -> str:
    """A phone number in E.164 (+31612345678); `default_region` applies without a country code."""
    try:
        number = phonenumbers.parse(phone, default_region.upper())
    except phonenumbers.NumberParseException:
        raise DirectoryError(f"not a phone number: {phone!r}") from None
    if not phonenumbers.is_valid_number(number):
        raise DirectoryError(f"not a valid phone number: {phone!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def stored_forms(address: str) -> tuple[str, ...]:
    """The forms an entry for `address` may be stored under: its `mail.Address.key`, and the
    lower-cased text entries were stored by before issue 9, with the domain as a U-label
    (it differs from the key only for an internationalised domain). All are matched, so that
    an SMS or access-code entry made earlier still applies: missing it would let that
    recipient verify by a weaker method."""
    try:
        parsed = Address.parse(address)
    except AddressError:
        return (address.strip().lower(),)
    forms = (parsed.key, parsed.text.lower(), f"{parsed.local.lower()}@{parsed.domain.unicode}")
    return tuple(dict.fromkeys(forms))


def _owner(session: Session, org: OrgInfo, owner: str | None) -> Account | None:
    """The account whose personal book is meant; None means the organisation's shared book."""
    if owner is None:
        return None
    account = session.scalar(select(Account).where(Account.email == normalise_address(owner)))
    if account is None or account.org_id != org.id:
        raise DirectoryError(f"{owner} is not an account of organisation {org.name!r}")
    return account


def _book(org: OrgInfo, owner: Account | None) -> Any:
    """The WHERE clause that selects one contact book."""
    if owner is None:
        return (Contact.org_id == org.id) & Contact.owner_account_id.is_(None)
    return (Contact.org_id == org.id) & (Contact.owner_account_id == owner.id)


def _info(org: OrgInfo, owner: Account | None, row: Contact) -> ContactInfo:
    return ContactInfo(
        row.id,
        org.name,
        owner.email if owner else None,
        row.address,
        row.kind,
        row.phone,
        row.hint,
        row.opened_at,
    )


def add_contact(
    session: Session,
    org_name: str,
    address: str,
    *,
    owner: str | None = None,
    phone: str | None = None,
    access_code: str | None = None,
    hint: str = "",
    default_region: str = "NL",
) -> ContactInfo:
    """Add an SMS (`phone`) or access-code entry; one that exists for that kind is replaced.

    Replacing starts afresh: the recipient has not yet opened a message with the new value.
    An access code must have at least the organisation's minimum length (`policy set
    --access-code-min-length`), the same rule as for a zivver-access-right header.
    """
    if (phone is None) == (access_code is None):
        raise DirectoryError("give either a phone number or an access code")
    if phone is not None and hint:
        raise DirectoryError("a hint belongs to an access code, not to a phone number")
    if access_code is not None and not access_code.strip():
        raise DirectoryError("the access code must not be empty")
    if len(hint) > _HINT_MAX:
        raise DirectoryError(f"the hint is longer than {_HINT_MAX} characters")
    org = find_org(session, org_name)
    if access_code is not None:
        minimum = access_code_minimum(session, org.id)
        if len(access_code.strip()) < minimum:
            raise DirectoryError(
                f"the access code is shorter than the organisation's minimum of {minimum} "
                "characters"
            )
    account = _owner(session, org, owner)
    forms = stored_forms(address)
    address = normalise_address(address)
    kind = "sms" if phone is not None else "access_code"
    row = Contact(
        org_id=org.id,
        owner_account_id=account.id if account else None,
        address=address,
        kind=kind,
        phone=normalise_phone(phone, default_region) if phone is not None else "",
        code_hash=hash_password(access_code) if access_code is not None else "",
        hint=hint,
        opened_at=None,
        created_at=utcnow(),
    )
    _delete(session, org, account, forms, kind)
    session.add(row)
    session.flush()
    return _info(org, account, row)


def _delete(
    session: Session, org: OrgInfo, owner: Account | None, forms: tuple[str, ...], kind: str | None
) -> int:
    # NULL owners never collide in the unique constraint, so replacing is done by hand.
    query = select(Contact).where(_book(org, owner), Contact.address.in_(forms))
    if kind is not None:
        query = query.where(Contact.kind == kind)
    rows = list(session.scalars(query))
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)


def remove_contact(
    session: Session,
    org_name: str,
    address: str,
    *,
    owner: str | None = None,
    kind: str | None = None,
) -> int:
    """Remove a recipient's entries (of one kind, or all) from one book; how many went."""
    if kind is not None and kind not in KINDS:
        raise DirectoryError(f"unknown contact kind {kind!r} ({', '.join(KINDS)})")
    org = find_org(session, org_name)
    account = _owner(session, org, owner)
    forms = stored_forms(address)
    address = normalise_address(address)
    removed = _delete(session, org, account, forms, kind)
    if not removed:
        book = f"the personal contacts of {account.email}" if account else "the shared contacts"
        raise DirectoryError(f"no {kind or 'entry'} for {address} in {book} of {org.name!r}")
    return removed


def list_contacts(
    session: Session, org_name: str, *, owner: str | None = None
) -> list[ContactInfo]:
    """One contact book: the shared one, or the personal one of `owner`."""
    org = find_org(session, org_name)
    account = _owner(session, org, owner)
    query = select(Contact).where(_book(org, account)).order_by(Contact.address, Contact.kind)
    return [_info(org, account, row) for row in session.scalars(query)]


def mark_contact_opened(session: Session, contact_id: int, now: datetime) -> None:
    """Record that the recipient opened a message with this entry (the "once opened" rule).

    The first opening counts; a later one leaves the date as it was.
    """
    row = session.get(Contact, contact_id)
    if row is not None and row.opened_at is None:
        row.opened_at = now

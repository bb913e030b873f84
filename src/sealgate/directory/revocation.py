"""Revoke and expiry of a message's links, per recipient or for the whole message.

SPEC.md "Revoke and expiry": the sender or an admin withdraws a message per recipient or for
all of them ("for recipients", undone by `unrevoke_links`) or for everyone (which also hides
it from the sender and is never undone), and sets when its links expire. A directly delivered
copy is in the recipient's own mailbox: nothing here can take it back, so such a recipient is
refused when named and skipped (and reported) when the whole message is revoked.

The portal asks `link_closure` on every request, so a change here closes (or reopens) a link
and its downloads at the next request, with no session to end and nothing cached.

Every change is also an event in the message's proof of delivery (evidence/), in the same
transaction, per recipient changed: `revoked`, `unrevoked` or `expiry_set`, naming `by` whom
("cli:<user>", "account:<email>"); a revocation for everyone adds one event of the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.directory.errors import DirectoryError
from sealgate.evidence import EXPIRY_SET, UNREVOKED, record
from sealgate.evidence import REVOKED as REVOKED_EVENT
from sealgate.mail import address_key
from sealgate.store import Message, Recipient

REVOKED = "revoked"
EXPIRED = "expired"
# The message's content was deleted by retention (retention/): nothing is left to read.
CONTENT_DELETED = "deleted"
DIRECT_SKIPPED = "delivered directly: the copy is in the recipient's mailbox"


class RevocationError(DirectoryError):
    """The revocation or expiry cannot be carried out as asked; the message says why."""


@dataclass(frozen=True)
class LinkClosure:
    """Why a recipient's link no longer opens: `CONTENT_DELETED`, `REVOKED` or `EXPIRED`,
    and since when."""

    reason: str
    since: datetime


def link_closure(
    revoked_at: datetime | None,
    expires_at: datetime | None,
    now: datetime,
    content_deleted_at: datetime | None = None,
) -> LinkClosure | None:
    """Whether a link is closed at `now` (naive UTC). Deleted content outranks the rest
    (whatever the reason once was, nothing is left to read); a revocation outranks an
    expiry."""
    if content_deleted_at is not None:
        return LinkClosure(CONTENT_DELETED, content_deleted_at)
    if revoked_at is not None:
        return LinkClosure(REVOKED, revoked_at)
    if expires_at is not None and expires_at <= now:
        return LinkClosure(EXPIRED, expires_at)
    return None


def _when(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


@dataclass(frozen=True)
class LinkState:
    """One recipient's revocation and expiry after a change."""

    address: str
    revoked_at: datetime | None
    expires_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "revoked_at": _when(self.revoked_at),
            "expires_at": _when(self.expires_at),
        }


@dataclass(frozen=True)
class LinkChange:
    """What a revoke, unrevoke or expire did: the recipients changed and those skipped."""

    message_id: str
    revoked_for_everyone: bool
    changed: tuple[LinkState, ...]
    skipped: tuple[tuple[str, str], ...] = ()  # (address, why)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.message_id,
            "revoked_for_everyone": self.revoked_for_everyone,
            "recipients": [state.to_json() for state in self.changed],
            "skipped": [{"address": address, "reason": why} for address, why in self.skipped],
        }


def _targets(session: Session, message_id: str, address: str | None) -> list[Recipient]:
    """The message's recipients, or those with this address (case-insensitive); in order."""
    rows = list(
        session.scalars(
            select(Recipient)
            .where(Recipient.message_id == message_id)
            .order_by(Recipient.address, Recipient.id)
        )
    )
    if address is None:
        return rows
    key = address_key(address)
    named = [row for row in rows if address_key(row.address) == key]
    if not named:
        raise RevocationError(f"{address} is not a recipient of message {message_id}")
    return named


def _refuse_direct(rows: list[Recipient], address: str | None) -> None:
    if address is not None and all(row.delivery == "direct" for row in rows):
        raise RevocationError(
            f"{address} was delivered directly: the copy is in the recipient's mailbox and "
            "cannot be revoked"
        )


def _change(message: Message, rows: list[Recipient], skipped: list[Recipient]) -> LinkChange:
    return LinkChange(
        message.id,
        message.revoked_for_everyone,
        tuple(LinkState(row.address, row.revoked_at, row.expires_at) for row in rows),
        tuple((row.address, DIRECT_SKIPPED) for row in skipped),
    )


def revoke_links(
    session: Session,
    message_id: str,
    now: datetime,
    *,
    address: str | None = None,
    everyone: bool = False,
    by: str = "",
) -> LinkChange:
    """Withdraw the links of one recipient, of all, or for everyone (sender included).

    A link revoked before keeps the date it was first withdrawn on (and gets no new event).
    """
    if everyone and address is not None:
        raise RevocationError("--everyone revokes the message for every recipient: give no one")
    message = session.get_one(Message, message_id)
    rows = _targets(session, message_id, address)
    _refuse_direct(rows, address)
    direct = [row for row in rows if row.delivery == "direct"]
    revoked = [row for row in rows if row.delivery != "direct"]
    fresh = [row for row in revoked if row.revoked_at is None]
    for row in fresh:
        row.revoked_at = now
    newly_for_everyone = everyone and not message.revoked_for_everyone
    if everyone:
        message.revoked_for_everyone = True
    session.flush()
    for row in fresh:
        record(session, message_id, REVOKED_EVENT, row.id, at=now, by=by, everyone=everyone)
    if newly_for_everyone:
        record(session, message_id, REVOKED_EVENT, at=now, by=by, everyone=True)
    return _change(message, revoked, direct)


def unrevoke_links(
    session: Session, message_id: str, *, address: str | None = None, by: str = ""
) -> LinkChange:
    """Reopen revoked links; refused for a message revoked for everyone."""
    message = session.get_one(Message, message_id)
    if message.revoked_for_everyone:
        raise RevocationError(
            f"message {message_id} was revoked for everyone, which cannot be undone"
        )
    rows = _targets(session, message_id, address)
    _refuse_direct(rows, address)
    restored = [row for row in rows if row.delivery != "direct"]
    reopened = [row for row in restored if row.revoked_at is not None]
    for row in restored:
        row.revoked_at = None
    session.flush()
    for row in reopened:
        record(session, message_id, UNREVOKED, row.id, by=by)
    return _change(message, restored, [row for row in rows if row.delivery == "direct"])


def set_expiry(
    session: Session,
    message_id: str,
    expires_at: datetime | None,
    *,
    address: str | None = None,
    by: str = "",
) -> LinkChange:
    """When the links of one recipient or of all expire (None: never)."""
    message = session.get_one(Message, message_id)
    rows = _targets(session, message_id, address)
    changed = [row for row in rows if row.expires_at != expires_at]
    for row in rows:
        row.expires_at = expires_at
    session.flush()
    for row in changed:
        record(session, message_id, EXPIRY_SET, row.id, by=by, expires_at=expires_at)
    return _change(message, rows, [])

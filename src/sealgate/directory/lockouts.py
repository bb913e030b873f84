"""Reset a recipient's lockout (the helpdesk's `recipients.unlock`).

A recipient is locked out of a message three ways: 5 wrong access codes
(`Recipient.access_code_attempts`, portal/access_code.py), the attempts at the live mailed or
texted code (`VerificationCode.attempts`, portal/code_rows.py), and the link's code sends
(portal/link_caps.py): at most `code_sends_per_day` in 24 hours and `code_sends_per_link` in
its life. A helpdesk that has checked who is calling resets the first two and the day cap.

The lifetime cap is kept on purpose: it is the ceiling on how many codes a stolen link can
ever draw (and so on the guesses it buys), and a phone call is an easy thing to fake. A link
at that cap stays closed; `lifetime_cap_reached` says so, and the sender must send the
message again. `sender_told_at` is cleared only when the lifetime cap is not reached, so a
new cap after the unlock is reported to the sender again, and a link that stays capped does
not mail the sender a second time about the same cap.

One UPDATE per row, in the caller's transaction (which audits it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sealgate.directory.errors import DirectoryError
from sealgate.mail import address_key
from sealgate.store import Recipient, VerificationCode


@dataclass(frozen=True)
class RecipientUnlock:
    """What an unlock found (the counters before) and whether the link can now send codes."""

    message_id: str
    address: str
    access_code_attempts: int  # wrong access codes before the reset
    code_attempts: int | None  # attempts at the live code before; None: no code row
    code_sends_day: int  # codes sent in the current day window before the reset
    code_sends_total: int  # kept: the link's lifetime count
    lifetime_cap_reached: bool  # the link sends no more codes: the sender must resend

    def to_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "recipient": self.address,
            "unlocked": True,
            "before": {
                "access_code_attempts": self.access_code_attempts,
                "code_attempts": self.code_attempts,
                "code_sends_day": self.code_sends_day,
            },
            "code_sends_total": self.code_sends_total,
            "lifetime_cap_reached": self.lifetime_cap_reached,
        }


def recipient_by_address(session: Session, message_id: str, address: str) -> Recipient:
    """The message's recipient with this address (case-insensitive); DirectoryError
    ("no recipient …") when there is none."""
    key = address_key(address)
    rows = session.scalars(
        select(Recipient).where(Recipient.message_id == message_id).order_by(Recipient.id)
    )
    recipient = next((row for row in rows if address_key(row.address) == key), None)
    if recipient is None:
        raise DirectoryError(f"no recipient {address} on message {message_id}")
    return recipient


def unlock_recipient(
    session: Session, message_id: str, address: str, *, sends_per_link: int
) -> RecipientUnlock:
    """Reset the recipient's access-code attempts, its live code's attempts and the day cap.

    `sends_per_link` is [web] code_sends_per_link (to say whether the lifetime cap still
    holds). DirectoryError ("no recipient …") when the address is not one of the message's.
    """
    recipient = recipient_by_address(session, message_id, address)
    code = session.scalars(
        select(VerificationCode).where(VerificationCode.recipient_id == recipient.id)
    ).one_or_none()
    result = RecipientUnlock(
        message_id=message_id,
        address=recipient.address,
        access_code_attempts=recipient.access_code_attempts,
        code_attempts=None if code is None else code.attempts,
        code_sends_day=recipient.code_sends_day,
        code_sends_total=recipient.code_sends_total,
        lifetime_cap_reached=recipient.code_sends_total >= sends_per_link,
    )
    values: dict[str, Any] = {
        "access_code_attempts": 0,
        "code_sends_day": 0,
        "code_day_started_at": None,
    }
    if not result.lifetime_cap_reached:
        values["sender_told_at"] = None
    session.execute(
        update(Recipient)
        .where(Recipient.id == recipient.id)
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
    if code is not None:
        session.execute(
            update(VerificationCode)
            .where(VerificationCode.id == code.id)
            .values(attempts=0)
            .execution_options(synchronize_session="fetch")
        )
    return result

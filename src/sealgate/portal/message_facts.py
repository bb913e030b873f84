"""Who sent a message and when, as the read page shows it (pure: values in, values out).

The sender is the account that submitted the message, by its name in the directory and its
address: that is who sealgate vouches for. The display name in the mail's own From header is
chosen by the sending program and can say anything, so it is only secondary text, and only
when it differs from the account's name. The date is the mail's Date header (the sender's
clock, in the sender's offset); a mail without a readable one shows when sealgate accepted it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr, parsedate_to_datetime


@dataclass(frozen=True)
class SenderLine:
    """`shown`: "Name <address>" of the account; `header_name`: a different From name, or ""."""

    shown: str
    header_name: str


def _plain(name: str) -> str:
    return " ".join(name.replace('"', " ").split())


def sender_line(account_name: str, account_address: str, header_from: str) -> SenderLine:
    shown = f"{account_name} <{account_address}>" if account_name else account_address
    header_name = _plain(parseaddr(header_from)[0]) if header_from else ""
    if header_name.casefold() in (_plain(account_name).casefold(), account_address.casefold()):
        header_name = ""
    return SenderLine(shown, header_name)


def sent_at(date_header: str, accepted_at: datetime | None) -> datetime | None:
    """The Date header as an aware datetime, else `accepted_at` (naive UTC) made aware."""
    if date_header:
        try:
            parsed = parsedate_to_datetime(date_header)
        except (TypeError, ValueError, IndexError):
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    if accepted_at is None:
        return None
    accepted_at = accepted_at.replace(microsecond=0)
    return accepted_at if accepted_at.tzinfo is not None else accepted_at.replace(tzinfo=UTC)

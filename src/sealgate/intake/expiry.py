"""The grammar of expiry values: the `sealgate-expiry` header and `message expire`'s options.

An expiry is either a number of days from now (`30d`) or an ISO 8601 date or date-time
(`2027-01-31`, `2027-01-31T17:00:00+01:00`). A date alone means 00:00 UTC at the start of
that day, a date-time without a zone is UTC. Either must lie in the future: a message whose
links are closed before anyone could open them is a mistake, refused rather than guessed at.
Pure: text and `now` (naive UTC, the database's clock format) in, naive UTC out.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sealgate.intake.control_headers import EXPIRY, ControlHeaderError

# About ten years: far enough for any retention rule, near enough to catch a typo.
MAX_EXPIRY_DAYS = 3650

_DAYS = re.compile(r"([0-9]{1,6})\s*d", re.IGNORECASE)
_FORMS = '"<days>d" (such as "30d") or an ISO 8601 date or date-time'


class ExpiryError(ValueError):
    """An expiry value is not one of the forms, or lies in the past; says which."""


def parse_expiry_days(text: str) -> int:
    """The days of a `30d` value (1 to MAX_EXPIRY_DAYS)."""
    match = _DAYS.fullmatch(text.strip())
    if match is None:
        raise ExpiryError(f'"{_shown(text)}" is not a number of days such as "30d"')
    days = int(match.group(1))
    if not 1 <= days <= MAX_EXPIRY_DAYS:
        raise ExpiryError(f"{days} days is not between 1 and {MAX_EXPIRY_DAYS}")
    return days


def parse_expiry_time(text: str) -> datetime:
    """An ISO 8601 date or date-time as naive UTC (a date alone: 00:00 UTC that day)."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ExpiryError(f'"{_shown(text)}" is not an ISO 8601 date or date-time') from None
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when


def expiry_at(text: str, now: datetime) -> datetime:
    """The moment an expiry value (days or ISO 8601) names, which must be after `now`."""
    stripped = text.strip()
    if _DAYS.fullmatch(stripped):
        return now + timedelta(days=parse_expiry_days(stripped))
    when = parse_expiry_time(stripped)
    if when <= now:
        raise ExpiryError(f"{when.isoformat()}Z lies in the past")
    return when


def parse_expiry(values: tuple[str, ...], now: datetime) -> datetime | None:
    """When the links of a message with these `sealgate-expiry` headers expire (None: absent).

    `now` is when the message was submitted, so intake reads a header the way submission
    checked it. Anything wrong raises `ControlHeaderError`, named for the header: an empty or
    unreadable value, a time in the past, or more than one header (which one would count?).
    """
    if not values:
        return None
    if len(values) > 1:
        raise ControlHeaderError(f"A message may carry only one {EXPIRY} header.")
    try:
        return expiry_at(values[0], now)
    except ExpiryError as exc:
        raise ControlHeaderError(
            f"The {EXPIRY} header is invalid: {exc}; it must read {_FORMS}."
        ) from None


def _shown(text: str, limit: int = 40) -> str:
    """Text from a header, fit for an SMTP reply line: short and ASCII only."""
    short = text if len(text) <= limit else text[:limit] + "..."
    return short.encode("ascii", "backslashreplace").decode("ascii")

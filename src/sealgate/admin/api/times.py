"""Times in query strings and bodies: ISO 8601, UTC when no zone is given, naive UTC inside."""

from __future__ import annotations

from datetime import UTC, datetime

from sealgate.admin.api.errors import invalid


def parse_time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise invalid(f"{name}: {value!r} is not an ISO 8601 date or time") from None
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when

"""Evidence events as values, and how each one is hashed into its message's chain (pure).

An event's hash is the sha256 of the canonical JSON (audit/chain.py) of exactly the fields
a report shows: {"message_id", "seq", "at", "recipient", "kind", "details", "prev_hash"}. So
`sealgate message evidence ID --json` can be re-checked by anyone with a sha256 tool, and
the database row ids (which a report does not show) are not part of what is proven.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sealgate.audit import GENESIS_HASH, fields_hash, first_broken_link

# The kinds recorded today; later stages add their own (replied, …).
ACCEPTED = "accepted"
DECIDED = "decided"
DELIVERY_ATTEMPT = "delivery_attempt"
CODE_SENT = "code_sent"
VERIFIED = "verified"
OPENED = "opened"
DOWNLOADED = "downloaded"
# Retention deleted the message's content (retention/): the count of blobs, nothing else.
CONTENT_DELETED = "content_deleted"
# The sender or an admin withdrew a link, reopened it, or set when it expires
# (directory/revocation.py); the details say who and, for an expiry, until when.
REVOKED = "revoked"
UNREVOKED = "unrevoked"
EXPIRY_SET = "expiry_set"

_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")

# Keys that would carry message content into the evidence (which the sender's organisation
# may hand to third parties): an event names attachments by index, size and sha256 only.
CONTENT_KEYS = frozenset(
    {"subject", "body", "text", "html", "content", "filename", "file_name", "attachment_name"}
)


class EvidenceError(ValueError):
    """An evidence event that must not be recorded (a bad kind, content in its details)."""


@dataclass(frozen=True, slots=True)
class Event:
    """One stored evidence event; `recipient` is None for events of the whole message."""

    message_id: str
    seq: int
    at: str  # UTC, ISO 8601 with microseconds and "Z"
    recipient: str | None
    kind: str
    details: dict[str, Any]
    prev_hash: str
    entry_hash: str


def format_at(when: datetime) -> str:
    """A naive UTC time (the database's form) as the fixed ISO 8601 text that is hashed."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return format_at(value)
    raise EvidenceError(f"evidence details cannot hold a {type(value).__name__}")


def _content_keys(value: object) -> set[str]:
    if isinstance(value, dict):
        found = {key for key in value if str(key).lower() in CONTENT_KEYS}
        return found.union(*(_content_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_content_keys(v) for v in value))
    return set()


def normal_details(details: Mapping[str, object]) -> dict[str, Any]:
    """The details as they will read back from the database (JSON types only, datetimes as
    UTC text), refusing any key that names message content."""
    try:
        plain: dict[str, Any] = json.loads(json.dumps(dict(details), default=_plain))
    except (TypeError, ValueError) as error:
        raise EvidenceError(str(error)) from None
    if found := _content_keys(plain):
        raise EvidenceError(f"evidence details must not carry content: {sorted(found)}")
    return plain


def check_kind(kind: str) -> str:
    if not _KIND.fullmatch(kind):
        raise EvidenceError(f"{kind!r} is not an evidence kind (lowercase, digits, _)")
    return kind


def hashed_fields(
    *,
    message_id: str,
    seq: int,
    at: str,
    recipient: str | None,
    kind: str,
    details: Mapping[str, Any],
    prev_hash: str,
) -> dict[str, object]:
    """The fields an event's hash covers (the module docstring says why these)."""
    return {
        "message_id": message_id,
        "seq": seq,
        "at": at,
        "recipient": recipient,
        "kind": kind,
        "details": dict(details),
        "prev_hash": prev_hash,
    }


def event_hash(**fields: Any) -> str:
    """The hash of an event made of `fields` (the keyword arguments of `hashed_fields`)."""
    return fields_hash(hashed_fields(**fields))


def _recompute(event: Event) -> str:
    return event_hash(
        message_id=event.message_id,
        seq=event.seq,
        at=event.at,
        recipient=event.recipient,
        kind=event.kind,
        details=event.details,
        prev_hash=event.prev_hash,
    )


def first_broken(events: Iterable[Event]) -> Event | None:
    """The first event (in seq order) that does not match the chain, or None if intact."""
    return first_broken_link(events, _recompute)


def head(events: list[Event]) -> str:
    """The chain's head: the last event's hash (GENESIS_HASH while there is none)."""
    return events[-1].entry_hash if events else GENESIS_HASH


def to_json(event: Event) -> dict[str, Any]:
    """An event as `message evidence --json` shows it (message_id is given once, above)."""
    return {
        "seq": event.seq,
        "at": event.at,
        "recipient": event.recipient,
        "kind": event.kind,
        "details": event.details,
        "prev_hash": event.prev_hash,
        "hash": event.entry_hash,
    }

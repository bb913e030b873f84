"""Append to and read a message's evidence chain, inside the caller's transaction.

`record` is called by the stage whose state change the event describes, in the same
transaction, so an event exists exactly when its change was committed. Two processes may
append to one message at once: each reads the head, computes the next link and inserts it
with `INSERT … ON CONFLICT (message_id, seq) DO NOTHING`. The loser inserts nothing, reads
the winner's link (PostgreSQL waits for the winner's commit; SQLite has one writer) and
tries the next seq, so a chain never forks and never has a gap. Call `record` after the
transaction's other writes: on SQLite the first write takes the database's write lock, so
the head read after it is the newest.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sealgate.audit import GENESIS_HASH
from sealgate.evidence.events import (
    Event,
    EvidenceError,
    check_kind,
    event_hash,
    first_broken,
    format_at,
    normal_details,
)
from sealgate.store import EvidenceEvent, Recipient, utcnow

# Each retry means another process appended in between; this many in a row is not a race.
MAX_TRIES = 50
log = logging.getLogger("sealgate.evidence")


def _recipient_address(session: Session, message_id: str, recipient_id: str | None) -> str:
    if recipient_id is None:
        return ""
    row = session.get(Recipient, recipient_id)
    if row is None or row.message_id != message_id:
        raise EvidenceError(f"recipient {recipient_id} is not one of message {message_id}")
    return row.address


def _head(session: Session, message_id: str) -> tuple[int, str]:
    last = session.execute(
        select(EvidenceEvent.seq, EvidenceEvent.entry_hash)
        .where(EvidenceEvent.message_id == message_id)
        .order_by(EvidenceEvent.seq.desc())
        .limit(1)
    ).first()
    return (last.seq, last.entry_hash) if last else (0, GENESIS_HASH)


def record(
    session: Session,
    message_id: str,
    kind: str,
    recipient_id: str | None = None,
    *,
    at: datetime | None = None,
    **details: Any,
) -> Event:
    """Append one event to the message's chain; `at` (naive UTC) defaults to now.

    Raises EvidenceError for a bad kind, a recipient of another message, or details that
    name message content (subject, body, attachment names: see events.CONTENT_KEYS).
    """
    check_kind(kind)
    plain = normal_details(details)
    address = _recipient_address(session, message_id, recipient_id)
    when = at if at is not None else utcnow()
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    for _ in range(MAX_TRIES):
        seq, prev = _head(session, message_id)
        fields: dict[str, Any] = dict(
            message_id=message_id,
            seq=seq + 1,
            at=format_at(when),
            recipient=address or None,
            kind=kind,
            details=plain,
            prev_hash=prev,
        )
        digest = event_hash(**fields)
        statement = (
            dialect.insert(EvidenceEvent)
            .values(
                message_id=message_id,
                seq=seq + 1,
                at=when,
                recipient_id=recipient_id,
                recipient=address,
                kind=kind,
                details=plain,
                prev_hash=prev,
                entry_hash=digest,
            )
            .on_conflict_do_nothing(index_elements=["message_id", "seq"])
            .returning(EvidenceEvent.id)
        )
        if session.execute(statement).first() is not None:
            return Event(entry_hash=digest, **fields)
        log.debug("evidence seq %d of message %s was taken; retrying", seq + 1, message_id)
    raise EvidenceError(f"could not append to the evidence of {message_id}: {MAX_TRIES} races")


def _event(row: EvidenceEvent) -> Event:
    return Event(
        message_id=row.message_id,
        seq=row.seq,
        at=format_at(row.at),
        recipient=row.recipient or None,
        kind=row.kind,
        details=dict(row.details),
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )


def load(session: Session, message_id: str) -> list[Event]:
    """Every event of the message, in seq order."""
    rows = session.scalars(
        select(EvidenceEvent)
        .where(EvidenceEvent.message_id == message_id)
        .order_by(EvidenceEvent.seq)
    )
    return [_event(row) for row in rows]


def verify(session: Session, message_id: str) -> Event | None:
    """The first event of the message whose link or hash is broken, or None if intact."""
    return first_broken(load(session, message_id))

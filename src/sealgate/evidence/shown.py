"""A message's report as pages show it: its subject read from the rows, its events as lines.

One place for the CLI, the sender's view and the admin console, so all three name the same
recipients in the same order (To, then Cc, then Bcc) and word the events alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.evidence.events import Event
from sealgate.evidence.report import MESSAGE_SECTION, Subject, detail_lines, sections, when
from sealgate.store import Recipient

_ROLE_ORDER = {"to": 0, "cc": 1, "bcc": 2}


@dataclass(frozen=True)
class EventLine:
    """One event as a page shows it."""

    seq: int
    at: str
    kind: str
    details: tuple[str, ...]
    entry_hash: str


def message_subject(session: Session, message_id: str, submission_id: str, sender: str) -> Subject:
    """What a report is about: the message, its submission, sender and recipients."""
    rows = session.scalars(select(Recipient).where(Recipient.message_id == message_id))
    ordered = sorted(rows, key=lambda row: (_ROLE_ORDER.get(row.role, 3), row.address))
    return Subject(
        message_id=message_id,
        submission_id=submission_id,
        sender=sender,
        recipients=tuple(dict.fromkeys(row.address for row in ordered)),
    )


def _line(event: Event) -> EventLine:
    lines = tuple(line.strip() for line in detail_lines(event.details, ""))
    return EventLine(event.seq, when(event), event.kind, lines, event.entry_hash)


def shown_sections(
    subject: Subject, events: list[Event]
) -> tuple[tuple[str | None, tuple[EventLine, ...]], ...]:
    """The report's sections as lines; the message's own section is titled None."""
    return tuple(
        (None if title == MESSAGE_SECTION else title, tuple(_line(e) for e in found))
        for title, found in sections(subject, events)
    )

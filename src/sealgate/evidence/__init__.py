"""Evidence: each message's proof of delivery, an append-only hash chain of what happened.

Receives: `record(session, message_id, kind, recipient_id=None, **details)` calls from the
stages that change a message's state (intake: accepted; route: decided; delivery: each
attempt; portal: code sent, verified, opened, downloaded; directory: revoked, unrevoked,
expiry set), inside their own transaction.
Hands off: `evidence_events` rows, read back by `load` / `verify` and `sealgate message
evidence` (text, --json, --verify, --pdf).
Trust: holds addresses, hosts, IPs, TLS facts and hashes; never message content (subject,
body, attachment names) and never a secret (codes, phone numbers, tokens). The chain makes
any later edit, deletion or reordering of a stored event visible; it cannot show that the
newest events were cut off, which is why every report prints the head.
"""

from datetime import datetime

from sealgate.evidence.events import (
    ACCEPTED,
    CODE_SENT,
    CONTENT_DELETED,
    DECIDED,
    DELIVERY_ATTEMPT,
    DOWNLOADED,
    EXPIRY_SET,
    OPENED,
    REVOKED,
    UNREVOKED,
    VERIFIED,
    Event,
    EvidenceError,
    event_hash,
    first_broken,
    format_at,
    head,
    to_json,
)
from sealgate.evidence.log import load, record, verify
from sealgate.evidence.report import MESSAGE_SECTION, Subject, detail_lines, sections, to_text, when
from sealgate.evidence.shown import EventLine, message_subject, shown_sections


def to_pdf(subject: Subject, events: list[Event], now: datetime) -> bytes:
    """The report as PDF bytes (pdf.py). fpdf2 takes half a second to import, so it is
    loaded only when a PDF is asked for, not by every stage that records events."""
    from sealgate.evidence.pdf import to_pdf as render

    return render(subject, events, now)


__all__ = [
    "EventLine",
    "message_subject",
    "shown_sections",
    "ACCEPTED",
    "CODE_SENT",
    "CONTENT_DELETED",
    "DECIDED",
    "DELIVERY_ATTEMPT",
    "DOWNLOADED",
    "EXPIRY_SET",
    "MESSAGE_SECTION",
    "OPENED",
    "REVOKED",
    "UNREVOKED",
    "Subject",
    "VERIFIED",
    "Event",
    "EvidenceError",
    "event_hash",
    "first_broken",
    "format_at",
    "detail_lines",
    "head",
    "load",
    "record",
    "sections",
    "to_json",
    "to_pdf",
    "to_text",
    "verify",
    "when",
]

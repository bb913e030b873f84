"""The portal's evidence events: codes sent, verifications, openings and downloads.

Each goes into the transaction of the state change it describes (a code stored, an attempt
counted, a session opened); an opening or a download changes nothing else, so it is its
own small transaction. A download is recorded once its last byte went out, with the size
and sha256 of exactly the bytes sent, and the attachment's index: never its name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.evidence import CODE_SENT, DOWNLOADED, OPENED, VERIFIED, record
from sealgate.store import Recipient


def record_for(session: Session, recipient_id: str, kind: str, **details: Any) -> None:
    """Append an event of the recipient's message, in the caller's transaction."""
    message_id = session.scalar(select(Recipient.message_id).where(Recipient.id == recipient_id))
    if message_id is not None:
        record(session, message_id, kind, recipient_id, **details)


def record_code_sent(session: Session, recipient_id: str, channel: str) -> None:
    record_for(session, recipient_id, CODE_SENT, channel=channel)


def record_verified(session: Session, recipient_id: str, outcome: str, **details: Any) -> None:
    """A verification attempt: the recipient's method and how the attempt ended."""
    method = session.scalar(select(Recipient.method).where(Recipient.id == recipient_id))
    record_for(session, recipient_id, VERIFIED, method=method, outcome=outcome, **details)


def record_opened(rt: Runtime, recipient_id: str, *, via: str) -> None:
    """The read page was shown (`via` "link" or "account"): each opening, in its own
    transaction."""
    with rt.db.begin() as session:
        record_for(session, recipient_id, OPENED, via=via)


def recorded_download(
    rt: Runtime, recipient_id: str, index: int, chunks: Iterable[bytes], *, via: str
) -> Iterator[bytes]:
    """`chunks`, passed through; after the last one, the download is recorded."""
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        yield chunk
    with rt.db.begin() as session:
        record_for(
            session,
            recipient_id,
            DOWNLOADED,
            index=index,
            size=size,
            sha256=digest.hexdigest(),
            via=via,
        )

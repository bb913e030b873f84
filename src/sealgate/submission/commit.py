"""Commit an accepted message: encrypted vault blob first, then its `submissions` row.

This is Postfix's "acknowledge only after the commit": the caller sends the 250 only after
`commit_submission` returns. The blob is fsynced before the row is written, and the row is the
only thing that makes the blob visible to intake; so a crash in between leaves an orphan blob
that nothing reads, never a row whose blob is missing. When the row cannot be written the blob
is deleted again before the error goes up, and the client gets a 4xx and retries.
Blocking (file and database I/O): call it with `asyncio.to_thread`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sealgate.bootstrap import Runtime
from sealgate.store import Submission, new_id, utcnow


@dataclass(frozen=True)
class AcceptedMessage:
    """Everything submission knows about a message at the end of DATA; no aiosmtpd types."""

    raw: bytes
    org_id: int
    account_id: int | None  # None: the null sender, sent under the organisation's identity
    mail_from: str
    rcpt_to: tuple[str, ...]
    client_address: str
    authenticated_as: str
    dsn: dict[str, Any] | None = None  # the RFC 3461 request (esmtp_params.dsn_request)


def commit_submission(rt: Runtime, message: AcceptedMessage) -> str:
    """Store the raw message encrypted and queue it for intake; returns the queue id."""
    blob_id = rt.vault.put_bytes(message.raw)
    queue_id = new_id()
    try:
        with rt.db.begin() as session:
            session.add(
                Submission(
                    id=queue_id,
                    org_id=message.org_id,
                    account_id=message.account_id,
                    mail_from=message.mail_from,
                    rcpt_to=list(message.rcpt_to),
                    blob_id=blob_id,
                    size=len(message.raw),
                    client_address=message.client_address,
                    authenticated_as=message.authenticated_as,
                    dsn=message.dsn,
                    state="incoming",
                    error="",
                    received_at=utcnow(),
                )
            )
    except BaseException:
        rt.vault.delete(blob_id)
        raise
    return queue_id

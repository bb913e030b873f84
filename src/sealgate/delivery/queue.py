"""The outbound queue: enqueue rendered mails, claim due rows, record outcomes.

States (Postfix words): incoming -> active -> deferred -> (done | bounced), plus hold.
A claim sets `active` with a lease; a worker that dies leaves a lease that runs out, and the
row is claimed again (at-least-once delivery, never lost).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy.orm import Session

from sealgate.store import OutboundJob, new_id
from sealgate.vault import Vault


def enqueue(
    session: Session,
    vault: Vault,
    *,
    kind: str,
    mail: EmailMessage,
    mail_from: str,
    rcpt_to: str,
    now: datetime,
    expiry: timedelta,
    submission_id: str | None = None,
    recipient_id: str | None = None,
) -> OutboundJob:
    """Store `mail` encrypted and add a queue row in state `incoming`, due now."""
    blob_id = vault.put_bytes(mail.as_bytes())
    job = OutboundJob(
        id=new_id(),
        kind=kind,
        submission_id=submission_id,
        recipient_id=recipient_id,
        mail_from=mail_from,
        rcpt_to=rcpt_to,
        blob_id=blob_id,
        state="incoming",
        attempts=0,
        next_attempt_at=now,
        lease_until=None,
        expires_at=now + expiry,
        last_error="",
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    return job

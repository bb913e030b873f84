"""Each delivery attempt as an evidence event, in the transaction that records its outcome.

A job names its recipient (a DSN job names the recipient it reports on), and through it the
message whose proof of delivery the attempt belongs to. The event carries what the
connection showed (host, IP, TLS version, cipher, leaf certificate sha256, the level it
proved and the DANE verdict) and the remote reply; never the mail, which holds a link or a
code.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.delivery.outcome import BelowRequirement, Connection, Outcome
from sealgate.evidence import DELIVERY_ATTEMPT, record
from sealgate.store import OutboundJob, Recipient


def connection_details(connection: Connection | None) -> dict[str, Any]:
    if connection is None:
        return {"host": None}
    return {
        "host": connection.host,
        "ip": connection.address,
        "port": connection.port,
        "tls_version": connection.tls_version,
        "cipher": connection.cipher,
        "certificate_sha256": connection.certificate_sha256,
        "level": connection.level,
        "dane_match": connection.dane_match,
        "verdict": list(connection.reasons),
    }


def record_attempt(
    session: Session,
    job: OutboundJob,
    result: str,
    outcome: Outcome | BelowRequirement,
    **extra: Any,
) -> None:
    """Append the attempt to its message's evidence; `result` is the job's new state
    (delivered, deferred, bounced) or `below_requirement` for a hand-back."""
    if job.recipient_id is None:
        return
    query = select(Recipient.message_id).where(Recipient.id == job.recipient_id)
    message_id = session.scalar(query)
    if message_id is None:
        return
    record(
        session,
        message_id,
        DELIVERY_ATTEMPT,
        job.recipient_id,
        job_id=job.id,
        mail=job.kind,
        to=job.rcpt_to,
        attempt=job.attempts + 1,
        required_level=job.required_level,
        result=result,
        reply=outcome.describe(),
        **connection_details(getattr(outcome, "connection", None)),
        **extra,
    )

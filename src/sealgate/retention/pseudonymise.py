"""Pseudonymise the rows of messages whose content is long gone.

`policy_pseudonymise_days` after retention deleted a message's content, the rows that still
name people are rewritten, in one transaction per batch: each recipient's address (and a
portal reply's guest sender) becomes its keyed pseudonym (pseudonyms.py) in recipients,
submissions, queued mails, the message and its decision traces; phone numbers, access-code
hashes and hints, DSN requests, client addresses and remote replies are blanked; codes and
sessions of its recipients are deleted. Accounts (the organisation's own senders) keep
their addresses, since the directory names them anyway. The evidence chain and the audit
trail keep theirs: they follow their own retention (`[audit] retention_days`), and editing
them would break the chains they are kept for.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.retention.pseudonyms import PSEUDONYM_KEY_PURPOSE, pseudonym, replace_addresses
from sealgate.store import (
    Message,
    Organisation,
    OutboundJob,
    PortalSession,
    Recipient,
    Submission,
    VerificationCode,
)

log = logging.getLogger("sealgate.retention")


def _due(session: Session, org_id: int, cutoff: datetime, size: int) -> list[Message]:
    query = select(Message).where(
        Message.org_id == org_id,
        Message.pseudonymised_at.is_(None),
        Message.content_deleted_at.is_not(None),
        Message.content_deleted_at <= cutoff,
    )
    return list(session.scalars(query.order_by(Message.id).limit(size)))


def _trace(decision: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    steps = [
        {**step, "reason": replace_addresses(str(step.get("reason", "")), names)}
        for step in decision.get("trace", [])
    ]
    return {**decision, "trace": steps}


def _pseudonymise(session: Session, key: bytes, message: Message, now: datetime) -> bool:
    """Rewrite one message's rows; False when another reaper took it first."""
    taken = session.execute(
        update(Message)
        .where(Message.id == message.id, Message.pseudonymised_at.is_(None))
        .values(pseudonymised_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0) != 1:
        return False
    recipients = list(session.scalars(select(Recipient).where(Recipient.message_id == message.id)))
    names = {r.address: pseudonym(key, r.address) for r in recipients}
    if message.sender_account_id is None and message.sender_address:
        names[message.sender_address] = pseudonym(key, message.sender_address)
        session.execute(
            update(Message)
            .where(Message.id == message.id)
            .values(sender_address=names[message.sender_address], sender_name="")
            .execution_options(synchronize_session=False)
        )
    for r in recipients:
        r.address, r.phone, r.dsn = names[r.address], "", None
        r.access_code_hash, r.access_code_hint, r.fallback_note = "", "", ""
        r.decision = _trace(r.decision, names)
    ids = [r.id for r in recipients]
    session.execute(delete(VerificationCode).where(VerificationCode.recipient_id.in_(ids)))
    session.execute(delete(PortalSession).where(PortalSession.recipient_id.in_(ids)))
    submission = session.get_one(Submission, message.submission_id)
    submission.rcpt_to = [names.get(a, a) for a in submission.rcpt_to]
    submission.mail_from = names.get(submission.mail_from, submission.mail_from)
    submission.client_address, submission.dsn = "", None
    for job in session.scalars(
        select(OutboundJob).where(OutboundJob.submission_id == message.submission_id)
    ):
        job.rcpt_to = names.get(job.rcpt_to, job.rcpt_to)
        job.mail_from = names.get(job.mail_from, job.mail_from)
        job.last_error, job.dsn = "", None
    return True


def pseudonymise(rt: Runtime, now: datetime) -> int:
    """One pass: every organisation's due messages, in batches; how many were rewritten."""
    key = rt.subkey(PSEUDONYM_KEY_PURPOSE)
    size = rt.settings.retention.batch_size
    with rt.db.begin() as session:
        rows = session.execute(
            select(Organisation.id, Organisation.policy_pseudonymise_days).where(
                Organisation.policy_pseudonymise_days.is_not(None)
            )
        )
        orgs = [(org_id, days) for org_id, days in rows if days is not None]
    done = 0
    for org_id, days in orgs:
        cutoff = now - timedelta(days=days)
        while True:
            with rt.db.begin() as session:
                batch = _due(session, org_id, cutoff, size)
                count = sum(_pseudonymise(session, key, m, now) for m in batch)
            done += count
            if count:
                log.info("retention: rows of %d messages pseudonymised", count)
            if len(batch) < size:
                break
    return done

"""The reaper: delete the content of messages past their organisation's retention.

One pass: first the blobs an earlier pass committed to deleting and could not remove (a
store that was away); then, organisation by organisation, the messages old enough to be
due, in batches of `[retention] batch_size`. Each batch is one transaction that marks the
due messages' content deleted, blanks every column naming one of their blobs and lists
those blobs in `retention_blobs`; the blobs are deleted from the store after the commit and
their list rows then removed. So the portal sees either a whole message or a message marked
deleted (410), never a row that points at a blob that is gone; a blob whose delete fails
stays listed and is tried again on the next pass.

Logs ids and counts only, never content.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.evidence import CONTENT_DELETED, record
from sealgate.intake import ReadableMessage
from sealgate.retention.due import RecipientFacts, content_due
from sealgate.retention.pseudonymise import pseudonymise
from sealgate.store import (
    JobState,
    LinkToken,
    Message,
    Organisation,
    OutboundJob,
    Recipient,
    RecipientState,
    RetentionBlob,
    Submission,
    Waiter,
    run_passes,
    utcnow,
)
from sealgate.vault import Vault, VaultCorrupt

log = logging.getLogger("sealgate.retention")

# A queued mail in these states still needs its blob (hold: an admin may release it).
WAITING = (JobState.INCOMING, JobState.ACTIVE, JobState.DEFERRED, JobState.HOLD)


@dataclass(frozen=True)
class ReapResult:
    """What one pass removed: messages whose content it marked deleted, blobs it deleted."""

    messages: int
    blobs: int
    # Blobs still listed for deletion after this pass (their store delete failed).
    pending: int
    # Messages whose rows this pass pseudonymised (pseudonymise.py).
    pseudonymised: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "messages": self.messages,
            "blobs": self.blobs,
            "pending": self.pending,
            "pseudonymised": self.pseudonymised,
        }


def _recipient_facts(session: Session, message: Message) -> list[RecipientFacts]:
    recipients = list(session.scalars(select(Recipient).where(Recipient.message_id == message.id)))
    ids = [r.id for r in recipients]
    links: dict[str, list[datetime]] = {}
    for recipient_id, expires_at in session.execute(
        select(LinkToken.recipient_id, LinkToken.expires_at).where(LinkToken.recipient_id.in_(ids))
    ):
        links.setdefault(recipient_id, []).append(expires_at)
    done: dict[str, list[datetime]] = {}
    for job_recipient, updated_at in session.execute(
        select(OutboundJob.recipient_id, OutboundJob.updated_at).where(
            OutboundJob.submission_id == message.submission_id,
            OutboundJob.recipient_id.in_(ids),
        )
    ):
        if job_recipient is not None:
            done.setdefault(job_recipient, []).append(updated_at)
    return [
        RecipientFacts(
            created_at=r.created_at,
            decided=r.state == RecipientState.DECIDED,
            revoked_at=r.revoked_at,
            expires_at=r.expires_at,
            link_expiries=tuple(links.get(r.id, ())),
            jobs_done_at=tuple(done.get(r.id, ())),
        )
        for r in recipients
    ]


def _mail_waiting(session: Session, message: Message) -> bool:
    query = select(OutboundJob.id).where(
        OutboundJob.submission_id == message.submission_id,
        OutboundJob.state.in_([str(state) for state in WAITING]),
    )
    return session.execute(query.limit(1)).first() is not None


def is_due(session: Session, message: Message, retention_days: int, now: datetime) -> bool:
    """Whether `message`'s content may be deleted at `now` (due.py has the rules)."""
    if message.content_deleted_at is not None:
        return False
    facts = _recipient_facts(session, message)
    waiting = _mail_waiting(session, message)
    return content_due(facts, message.created_at, retention_days, waiting, now)


def _part_blob_ids(vault: Vault, message: Message) -> list[str]:
    """The attachments' and inline pictures' blobs, named only inside the encrypted readable
    form."""
    try:
        readable = ReadableMessage.from_json(vault.get_bytes(message.content_blob_id))
    except (VaultCorrupt, FileNotFoundError, ValueError, KeyError, TypeError) as exc:
        log.warning(
            "retention: message %s readable form unreadable (%s); its attachments' blobs, "
            "if any, are left in the store",
            message.id,
            type(exc).__name__,
        )
        return []
    return [a.blob_id for a in readable.attachments] + [i.blob_id for i in readable.inline_images]


def _mark_deleted(session: Session, vault: Vault, message: Message, now: datetime) -> bool:
    """Mark one message's content deleted and list its blobs; False: taken elsewhere.

    The conditional UPDATE makes two reapers (two nodes) mark a message once."""
    taken = session.execute(
        update(Message)
        .where(Message.id == message.id, Message.content_deleted_at.is_(None))
        .values(content_deleted_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0) != 1:
        return False
    blobs = [message.content_blob_id] if message.content_blob_id else []
    blobs += _part_blob_ids(vault, message) if message.content_blob_id else []
    submission = session.get_one(Submission, message.submission_id)
    if submission.blob_id:
        blobs.append(submission.blob_id)
        submission.blob_id = ""
    jobs = session.scalars(
        select(OutboundJob).where(OutboundJob.submission_id == message.submission_id)
    )
    for job in jobs:
        if job.blob_id:
            blobs.append(job.blob_id)
        job.blob_id, job.sealed_mail = "", None
    session.execute(
        update(Message)
        .where(Message.id == message.id)
        .values(content_blob_id="")
        .execution_options(synchronize_session=False)
    )
    unique = sorted(set(blobs))
    session.add_all(RetentionBlob(blob_id=b, message_id=message.id, queued_at=now) for b in unique)
    record(session, message.id, CONTENT_DELETED, blobs=len(unique))
    return True


def _old_enough(
    session: Session, org_id: int, cutoff: datetime, after: tuple[datetime, str] | None, size: int
) -> list[Message]:
    """The next messages of the organisation created by `cutoff` whose content is kept
    (keyset order: created_at, id): only they can be due, as none finishes before it is
    created."""
    query = select(Message).where(
        Message.org_id == org_id,
        Message.content_deleted_at.is_(None),
        Message.created_at <= cutoff,
    )
    if after is not None:
        created, ident = after
        later = (Message.created_at == created) & (Message.id > ident)
        query = query.where((Message.created_at > created) | later)
    return list(session.scalars(query.order_by(Message.created_at, Message.id).limit(size)))


def delete_listed(rt: Runtime, message_ids: Sequence[str] | None = None) -> int:
    """Delete listed blobs from the store (all, or those of `message_ids`); how many went.

    A blob whose delete fails stays listed, for the next pass."""
    query = select(RetentionBlob.blob_id)
    if message_ids is not None:
        if not message_ids:
            return 0
        query = query.where(RetentionBlob.message_id.in_(message_ids))
    with rt.db.begin() as session:
        listed = list(session.scalars(query.order_by(RetentionBlob.blob_id)))
    gone: list[str] = []
    for blob_id in listed:
        try:
            rt.vault.delete(blob_id)
        except Exception as exc:
            reason = type(exc).__name__
            log.warning("retention: blob %s not deleted (%s); next pass", blob_id, reason)
            continue
        gone.append(blob_id)
    if gone:
        with rt.db.begin() as session:
            session.execute(delete(RetentionBlob).where(RetentionBlob.blob_id.in_(gone)))
    return len(gone)


def _pending(rt: Runtime) -> int:
    with rt.db.begin() as session:
        return len(list(session.scalars(select(RetentionBlob.blob_id))))


def reap(rt: Runtime, now: datetime | None = None) -> ReapResult:
    """One pass of the reaper at `now` (default: the clock); see the module docstring."""
    now = now or utcnow()
    size = rt.settings.retention.batch_size
    blobs = delete_listed(rt)
    messages = 0
    with rt.db.begin() as session:
        rows = session.execute(select(Organisation.id, Organisation.policy_retention_days))
        orgs = [(org_id, days) for org_id, days in rows]
    for org_id, days in orgs:
        cutoff = now - timedelta(days=days)
        after: tuple[datetime, str] | None = None
        while True:
            with rt.db.begin() as session:
                batch = _old_enough(session, org_id, cutoff, after, size)
                if not batch:
                    break
                after = (batch[-1].created_at, batch[-1].id)
                marked = [
                    m.id
                    for m in batch
                    if is_due(session, m, days, now) and _mark_deleted(session, rt.vault, m, now)
                ]
            messages += len(marked)
            if marked:
                log.info("retention: content of %d messages deleted", len(marked))
            blobs += delete_listed(rt, marked)
    return ReapResult(
        messages=messages,
        blobs=blobs,
        pending=_pending(rt),
        pseudonymised=pseudonymise(rt, now),
    )


async def run_retention(rt: Runtime, stop: asyncio.Event) -> None:
    """Run `reap` every `[retention] interval` seconds until `stop` is set."""

    async def one_pass() -> bool:
        await asyncio.to_thread(reap, rt)
        return False

    # No commit wakes the reaper (nothing hands it rows): a waiter of no channel just times out.
    waiter = Waiter("retention")
    await run_passes("retention", one_pass, waiter, rt.settings.retention.interval, stop)

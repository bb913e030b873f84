"""A stored message as admins see it: metadata, conversations, each recipient's status and
decision trace, and the outbound jobs; never the subject or the body.

`sealgate message show` prints it and the REST API serves it (`GET /api/v1/messages/{id}`).
A message is named by its id or by the id of the submission it was made from.

A recipient's `status` is the first that holds of: revoked, expired, replied, opened,
pending (not decided yet), refused (policy sends nothing), bounced, deferred, delivered
(direct) or notified (notification sent), queued.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sealgate.directory.errors import DirectoryError
from sealgate.directory.revocation import link_closure
from sealgate.store import (
    Conversation,
    JobKind,
    JobState,
    Message,
    Organisation,
    OutboundJob,
    Recipient,
    RecipientState,
    Submission,
    utcnow,
)

_ROLE_ORDER = {"to": 0, "cc": 1, "bcc": 2}


def iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


def find_message(session: Session, ident: str) -> Message:
    """The message with this id or made of this submission; a submission intake has not
    made a message of (yet) is named with its state and error."""
    ident = ident.strip()
    message = session.get(Message, ident) or session.scalar(
        select(Message).where(Message.submission_id == ident)
    )
    if message is not None:
        return message
    submission = session.get(Submission, ident)
    if submission is None:
        raise DirectoryError(f"no message or submission with id {ident!r}")
    error = f": {submission.error}" if submission.error else ""
    raise DirectoryError(
        f"submission {ident} is {submission.state}; no message was made of it{error}"
    )


# The job states a recipient's status names as they are.
_JOB_STATUS = {JobState.BOUNCED: "bounced", JobState.DEFERRED: "deferred"}


def recipient_status(row: Recipient, job_states: list[str], now: datetime) -> str:
    """One word for where the recipient stands (module docstring); `job_states` are those of
    its own direct or notification jobs."""
    closure = link_closure(row.revoked_at, row.expires_at, now)
    if closure is not None:
        return closure.reason
    if row.replied_at is not None:
        return "replied"
    if row.opened_at is not None:
        return "opened"
    if row.state != RecipientState.DECIDED:
        return "pending"
    if row.delivery == "none":
        return "refused"
    for state, status in _JOB_STATUS.items():
        if state in job_states:
            return status
    if job_states and all(state == JobState.DONE for state in job_states):
        return "delivered" if row.delivery == "direct" else "notified"
    return "queued"


def _recipient(row: Recipient, job_states: list[str], now: datetime) -> dict[str, Any]:
    return {
        "id": row.id,
        "address": row.address,
        "role": row.role,
        "method": row.method,
        "delivery": row.delivery,
        "status": recipient_status(row, job_states, now),
        "trace": list(row.decision.get("trace", [])),
        "opened_at": iso(row.opened_at),
        "replied_at": iso(row.replied_at),
        "revoked_at": iso(row.revoked_at),
        "expires_at": iso(row.expires_at),
    }


def _job_states(session: Session, message: Message) -> dict[str, list[str]]:
    """The states of each recipient's own mails (direct or notification), by recipient id."""
    found: dict[str, list[str]] = {}
    query = select(OutboundJob.recipient_id, OutboundJob.state).where(
        OutboundJob.submission_id == message.submission_id,
        OutboundJob.kind.in_((JobKind.DIRECT, JobKind.NOTIFICATION)),
    )
    for recipient_id, state in session.execute(query):
        if recipient_id is not None:
            found.setdefault(recipient_id, []).append(state)
    return found


def _conversations(session: Session, message: Message) -> list[dict[str, Any]]:
    """To/Cc conversation first, then each Bcc one; recipients in role, then address order."""
    now = utcnow()
    job_states = _job_states(session, message)
    by_conversation: dict[str, list[Recipient]] = {}
    for row in session.scalars(select(Recipient).where(Recipient.message_id == message.id)):
        by_conversation.setdefault(row.conversation_id, []).append(row)
    conversations = []
    for conversation in session.scalars(
        select(Conversation).where(Conversation.message_id == message.id)
    ):
        recipients = sorted(
            by_conversation.get(conversation.id, []),
            key=lambda row: (_ROLE_ORDER.get(row.role, 3), row.address),
        )
        conversations.append(
            {
                "id": conversation.id,
                "kind": conversation.kind,
                "recipients": [
                    _recipient(row, job_states.get(row.id, []), now) for row in recipients
                ],
            }
        )
    return sorted(
        conversations,
        key=lambda item: (item["kind"] != "to_cc", [r["address"] for r in item["recipients"]]),
    )


def _job(job: OutboundJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "recipient_id": job.recipient_id,
        "rcpt_to": job.rcpt_to,
        "state": job.state,
        "required_level": job.required_level,
        "attempts": job.attempts,
        "next_attempt_at": iso(job.next_attempt_at),
        "expires_at": iso(job.expires_at),
        "last_error": job.last_error,
        "updated_at": iso(job.updated_at),
    }


def _jobs(session: Session, message: Message, recipient_ids: list[str]) -> list[dict[str, Any]]:
    """Every queued mail for the message: notifications, codes, direct deliveries, DSNs."""
    query = select(OutboundJob).where(
        or_(
            OutboundJob.submission_id == message.submission_id,
            OutboundJob.recipient_id.in_(recipient_ids),
        )
    )
    return [
        _job(job) for job in session.scalars(query.order_by(OutboundJob.created_at, OutboundJob.id))
    ]


def describe_message(session: Session, ident: str) -> dict[str, Any]:
    return describe(session, find_message(session, ident))


def describe(session: Session, message: Message) -> dict[str, Any]:
    conversations = _conversations(session, message)
    ids = [r["id"] for c in conversations for r in c["recipients"]]
    return {
        "id": message.id,
        "submission_id": message.submission_id,
        "org": session.get_one(Organisation, message.org_id).name,
        "sender": message.sender_address,
        "created": iso(message.created_at),
        "revoked_for_everyone": message.revoked_for_everyone,
        # When retention deleted the content (blobs); the rows and evidence stay. None: kept.
        "content_deleted_at": iso(message.content_deleted_at),
        "conversations": conversations,
        "jobs": _jobs(session, message, ids),
    }

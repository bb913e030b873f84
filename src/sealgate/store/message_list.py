"""The newest stored messages, optionally by sender, recipient, time and state: for
`message list`, `message search` and the portal's outbox.

Only what rows hold: the subject lives in the encrypted content blob, so a list never has
it (decrypting every message to list it would put content in reach of a listing). Addresses
match by `address_key`, which a SQL `lower()` cannot reproduce for IDN domains, so the
filter runs in Python over batches read newest first and stops once `limit` are found.
Time and state filter in SQL: a message is in a state when one of its recipients is
(undecided, awaiting_probe, decided) or one of its queue jobs is (incoming, deferred,
bounced, ...), since an admin looking for "stuck" or "bounced" mail means either.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from sealgate.mail import address_key
from sealgate.store.schema import Message, OutboundJob, Recipient, Submission
from sealgate.store.states import JobState, RecipientState

# The states `state=` may name: a recipient's or a queue job's (store/states.py).
MESSAGE_STATES = tuple(sorted({*RecipientState, *JobState}))

_BATCH = 200
_ROLE_ORDER = {"to": 0, "cc": 1, "bcc": 2}


@dataclass(frozen=True)
class MessageSummary:
    """One line of a message list; `subject` is None (rows do not hold it); `in_reply_to` is
    the id of the message a portal reply answers, else None."""

    id: str
    submission_id: str
    sender: str
    received_at: datetime
    recipients: tuple[str, ...]
    subject: str | None = None
    in_reply_to: str | None = None


def _recipients(session: Session, message_ids: list[str]) -> dict[str, list[Recipient]]:
    rows: dict[str, list[Recipient]] = {}
    query = select(Recipient).where(Recipient.message_id.in_(message_ids))
    for row in session.scalars(query):
        rows.setdefault(row.message_id, []).append(row)
    return rows


def _in_state(state: str) -> ColumnElement[bool]:
    """The message has a recipient, or a queue job, in `state`."""
    if state not in MESSAGE_STATES:
        raise ValueError(f"not a recipient or job state: {state!r}")
    recipient_in_state = exists().where(
        Recipient.message_id == Message.id, Recipient.state == state
    )
    job_in_state = exists().where(
        OutboundJob.state == state,
        or_(
            OutboundJob.submission_id == Message.submission_id,
            OutboundJob.recipient_id.in_(
                select(Recipient.id).where(Recipient.message_id == Message.id).correlate(Message)
            ),
        ),
    )
    return or_(recipient_in_state, job_in_state)


def list_messages(
    session: Session,
    *,
    sender: str | None = None,
    recipient: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    state: str | None = None,
    limit: int = 50,
    org_ids: Collection[int] | None = None,
) -> list[MessageSummary]:
    """Up to `limit` messages, newest received first, whose sender is `sender` and which have
    `recipient` among their recipients (any role), received at or after `since` and before
    `until`, with a recipient or a queue job in `state` (one of MESSAGE_STATES), of the
    organisations `org_ids` (None: all; the admin console passes a role's reach)."""
    sender_key = address_key(sender) if sender is not None else None
    recipient_key = address_key(recipient) if recipient is not None else None
    query = select(Message, Submission.received_at, Submission.in_reply_to).join(
        Submission, Submission.id == Message.submission_id
    )
    if since is not None:
        query = query.where(Submission.received_at >= since)
    if until is not None:
        query = query.where(Submission.received_at < until)
    if state is not None:
        query = query.where(_in_state(state))
    if org_ids is not None:
        query = query.where(Message.org_id.in_(sorted(org_ids)))
    query = query.order_by(Submission.received_at.desc(), Message.id.desc())
    found: list[MessageSummary] = []
    offset = 0
    while len(found) < limit:
        batch = session.execute(query.offset(offset).limit(_BATCH)).all()
        if not batch:
            break
        offset += len(batch)
        if sender_key is not None:
            batch = [r for r in batch if address_key(r[0].sender_address) == sender_key]
        recipients = _recipients(session, [r[0].id for r in batch]) if batch else {}
        for message, received_at, in_reply_to in batch:
            rows = sorted(
                recipients.get(message.id, []),
                key=lambda row: (_ROLE_ORDER.get(row.role, 3), row.address),
            )
            if recipient_key is not None and not any(
                address_key(row.address) == recipient_key for row in rows
            ):
                continue
            found.append(
                MessageSummary(
                    id=message.id,
                    submission_id=message.submission_id,
                    sender=message.sender_address,
                    received_at=received_at,
                    recipients=tuple(row.address for row in rows),
                    in_reply_to=in_reply_to,
                )
            )
            if len(found) == limit:
                break
    return found

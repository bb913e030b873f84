"""The rows behind the sender's view: an account's sent messages, one of them in full.

A message belongs to the account that sent it (`messages.sender_account_id`); every other
message, and one the sender revoked "for everyone", looks like a message that does not exist
(404), whoever asks. Subjects and attachment names live only in the encrypted readable form:
they are read for the page and never logged.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.evidence import Event, load
from sealgate.intake import ReadableMessage
from sealgate.locale import _
from sealgate.portal.pages import Refusal
from sealgate.portal.sent_status import RecipientView, recipient_view
from sealgate.portal.sessions import Reader
from sealgate.store import (
    Conversation,
    JobKind,
    Message,
    OutboundJob,
    Recipient,
    Submission,
)

SENT_PAGE_SIZE = 20
_MESSAGE_ID_LENGTH = 32
_ROLE_ORDER = {"to": 0, "cc": 1, "bcc": 2}


def no_sent_message() -> Refusal:
    return Refusal(404, _("Message not found"), _("There is no message of yours at this address."))


def owned_message(session: Session, reader: Reader, message_id: str) -> Message:
    """The account's own sent message with this id; 404 for any other (module docstring)."""
    if len(message_id) != _MESSAGE_ID_LENGTH or not message_id.isalnum():
        raise no_sent_message()
    message = session.get(Message, message_id)
    if (
        message is None
        or reader.account_id is None
        or message.sender_account_id != reader.account_id
        or message.revoked_for_everyone
    ):
        raise no_sent_message()
    return message


@dataclass(frozen=True)
class SentEntry:
    """One line of the sent list."""

    message_id: str
    created_at: datetime
    recipients: tuple[str, ...]
    opened: int
    content_blob_id: str
    content_deleted_at: datetime | None
    subject: str = ""


@dataclass(frozen=True)
class ReplyEntry:
    """A reply to the message, and the sender's way into it (None: not addressed to them)."""

    message_id: str
    sender_address: str
    sender_name: str
    created_at: datetime
    read_path: str | None


@dataclass(frozen=True)
class SentMessage:
    """One sent message with each recipient's view and the replies, oldest first."""

    message_id: str
    submission_id: str
    created_at: datetime
    content_blob_id: str
    content_deleted_at: datetime | None
    recipients: tuple[RecipientView, ...]
    replies: tuple[ReplyEntry, ...]
    subject: str = ""
    attachment_names: tuple[str, ...] = ()

    @property
    def revocable(self) -> tuple[RecipientView, ...]:
        return tuple(r for r in self.recipients if r.revocable)

    @property
    def revoked(self) -> tuple[RecipientView, ...]:
        return tuple(r for r in self.recipients if r.revoked)

    @property
    def expires_at(self) -> datetime | None:
        """The expiry all withdrawable links share, if they share one."""
        found = {r.expires_at for r in self.recipients if r.delivery == "notification"}
        return found.pop() if len(found) == 1 else None


def sent_page(session: Session, reader: Reader, page: int) -> tuple[list[SentEntry], bool]:
    """Page `page` (from 1) of the account's sent messages, newest first; and whether an
    older page follows."""
    rows = session.scalars(
        select(Message)
        .where(Message.sender_account_id == reader.account_id)
        .where(Message.revoked_for_everyone.is_(False))
        .order_by(Message.created_at.desc(), Message.id)
        .offset((page - 1) * SENT_PAGE_SIZE)
        .limit(SENT_PAGE_SIZE + 1)
    ).all()
    shown = rows[:SENT_PAGE_SIZE]
    recipients: dict[str, list[Recipient]] = defaultdict(list)
    if shown:
        query = select(Recipient).where(Recipient.message_id.in_([m.id for m in shown]))
        for row in session.scalars(query.order_by(Recipient.address)):
            recipients[row.message_id].append(row)
    entries = [
        SentEntry(
            message.id,
            message.created_at,
            tuple(dict.fromkeys(r.address for r in recipients[message.id])),
            sum(1 for r in recipients[message.id] if r.opened_at is not None),
            message.content_blob_id,
            message.content_deleted_at,
        )
        for message in shown
    ]
    return entries, len(rows) > SENT_PAGE_SIZE


def _job_states(session: Session, message: Message) -> dict[str, dict[str, str]]:
    """Per recipient id: the states of its notification or direct jobs, with their errors."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    query = select(OutboundJob.recipient_id, OutboundJob.state, OutboundJob.last_error).where(
        OutboundJob.submission_id == message.submission_id,
        OutboundJob.kind.in_((JobKind.DIRECT, JobKind.NOTIFICATION)),
    )
    for recipient_id, state, error in session.execute(query):
        if recipient_id is not None:
            found[recipient_id][state] = error
    return found


def _recipients(session: Session, message: Message, now: datetime) -> list[RecipientView]:
    """Each recipient in conversation order: To/Cc first, then each Bcc; role, address."""
    kinds = dict(
        session.execute(
            select(Conversation.id, Conversation.kind).where(Conversation.message_id == message.id)
        ).all()
    )
    rows = session.scalars(select(Recipient).where(Recipient.message_id == message.id)).all()

    def place(row: Recipient) -> tuple[bool, int, str]:
        return kinds.get(row.conversation_id) != "to_cc", _ROLE_ORDER.get(row.role, 3), row.address

    ordered = sorted(rows, key=place)
    by_address: dict[str, list[Event]] = defaultdict(list)
    for event in load(session, message.id):
        if event.recipient is not None:
            by_address[event.recipient].append(event)
    jobs = _job_states(session, message)
    return [
        recipient_view(
            row, by_address[row.address], jobs.get(row.id, {}), now, message.content_deleted_at
        )
        for row in ordered
    ]


def _replies(session: Session, reader: Reader, message: Message) -> list[ReplyEntry]:
    rows = session.scalars(
        select(Message)
        .join(Submission, Submission.id == Message.submission_id)
        .where(Submission.in_reply_to == message.id)
        .order_by(Message.created_at, Message.id)
    ).all()
    replies = []
    for reply in rows:
        own = session.scalar(
            select(Recipient.id).where(
                Recipient.message_id == reply.id,
                func.lower(Recipient.address) == reader.account_email,
                Recipient.delivery != "none",
            )
        )
        replies.append(
            ReplyEntry(
                reply.id,
                reply.sender_address,
                reply.sender_name,
                reply.created_at,
                f"/inbox/{own}/read" if own else None,
            )
        )
    return replies


def sent_message(session: Session, reader: Reader, message_id: str, now: datetime) -> SentMessage:
    """The account's own message `message_id` in full (404 for anyone else's)."""
    message = owned_message(session, reader, message_id)
    return SentMessage(
        message.id,
        message.submission_id,
        message.created_at,
        message.content_blob_id,
        message.content_deleted_at,
        tuple(_recipients(session, message, now)),
        tuple(_replies(session, reader, message)),
    )


def _readable(rt: Runtime, blob_id: str) -> ReadableMessage:
    return ReadableMessage.from_json(rt.vault.get_bytes(blob_id))


def with_subjects(rt: Runtime, entries: list[SentEntry]) -> list[SentEntry]:
    """The entries with their subjects (none for content that retention deleted)."""
    return [
        entry
        if entry.content_deleted_at
        else replace(entry, subject=_readable(rt, entry.content_blob_id).subject)
        for entry in entries
    ]


def with_content_names(rt: Runtime, message: SentMessage) -> SentMessage:
    """The message with its subject and attachment names, for the page only."""
    if message.content_deleted_at:
        return message
    readable = _readable(rt, message.content_blob_id)
    names = tuple(attachment.filename for attachment in readable.attachments)
    return replace(
        message,
        subject=readable.subject,
        attachment_names=names,
        recipients=tuple(replace(r, attachment_names=names) for r in message.recipients),
    )

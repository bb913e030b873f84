"""Resend one recipient's notification (the helpdesk's `recipients.resend`).

A recipient who lost or never got the notification gets a fresh one: the same mail route
writes (rows.py), with a new link; earlier links stay as they were, so a link already
opened keeps working. Only a recipient route decided to notify gets one, and only while
its link is open: a revoked or expired recipient is reopened first (unrevoke, expire),
a direct delivery has no notification, an undecided one has none yet.

The notification job is queued in the caller's transaction (which audits it); the mail is
rendered and sealed in the vault before commit, as route does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.directory import DirectoryError, link_closure, recipient_by_address
from sealgate.policy import Delivery
from sealgate.route.rows import queue_notification
from sealgate.route.runner import message_context
from sealgate.store import Message, RecipientState


class ResendError(DirectoryError):
    """This recipient gets no new notification; the message says why."""


@dataclass(frozen=True)
class Resent:
    message_id: str
    address: str
    job_id: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.message_id, "recipient": self.address, "job_id": self.job_id}


def resend_notification(
    session: Session, rt: Runtime, message_id: str, address: str, now: datetime
) -> Resent:
    """Queue a new notification, with a new link, for `address` of the message."""
    message = session.get_one(Message, message_id)
    try:
        recipient = recipient_by_address(session, message_id, address)
    except DirectoryError as exc:
        raise ResendError(str(exc)) from None
    if recipient.state != RecipientState.DECIDED:
        raise ResendError(f"{recipient.address} has no notification yet: it is not decided")
    if recipient.delivery != Delivery.NOTIFICATION:
        raise ResendError(f"{recipient.address} gets no notification ({recipient.delivery})")
    closure = link_closure(
        recipient.revoked_at, recipient.expires_at, now, message.content_deleted_at
    )
    if closure is not None:
        raise ResendError(f"{recipient.address}'s link is closed ({closure.reason})")
    ctx = message_context(session, rt, rt.vault, message_id)
    job = queue_notification(session, ctx, recipient, now)
    return Resent(message_id, recipient.address, job.id)

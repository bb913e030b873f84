"""The inbox of a logged-in account: every message addressed to its email.

GET /inbox                                 newest first: sender, date, subject
GET /inbox/{recipient_id}/read, /html, /attachments/{index}
                                           one message, through its own recipient row

An account session (`PortalSession.account_id`) may open any recipient row whose address is
the account's email (compared case-insensitively), whatever method the policy chose for it:
the login is at least as strong as any guest proof. Rows addressed to anyone else look like
rows that do not exist (404). Recipients whose delivery is `none` were never delivered and
are not shown. A message the sender withdrew or that expired is listed without its subject
or a way in, and its addresses answer 410 (withdrawn.py). Without an account session the
inbox sends the browser to the login form.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.bootstrap import Runtime
from sealgate.directory import LinkClosure, link_closure
from sealgate.intake import ReadableMessage
from sealgate.locale import _
from sealgate.portal.access_log import log_event
from sealgate.portal.cookies import SESSION_COOKIE, read_cookie
from sealgate.portal.csrf import render_form
from sealgate.portal.pages import Refusal
from sealgate.portal.sessions import Lifetime, Reader, session_reader
from sealgate.portal.withdrawn import refuse_closed
from sealgate.store import Message, Recipient, utcnow

INBOX_SIZE = 100
_RECIPIENT_ID_LENGTH = 32


@dataclass(frozen=True)
class InboxEntry:
    """One message in an account's inbox, reached through its recipient row."""

    recipient_id: str
    sender_name: str
    sender_address: str
    content_blob_id: str
    received_at: datetime
    subject: str = ""
    # Set when the sender withdrew the message, it expired or its content was deleted:
    # listed without its subject.
    closed: LinkClosure | None = None
    org_id: int = 0

    @property
    def start(self) -> str:
        return f"/inbox/{self.recipient_id}"

    @property
    def sender_shown(self) -> str:
        if self.sender_name:
            return f"{self.sender_name} <{self.sender_address}>"
        return self.sender_address


def needs_login() -> Refusal:
    return Refusal(403, _("Please log in first"), _("Log in to see your messages."), start="/login")


def no_such_message() -> Refusal:
    return Refusal(404, _("Message not found"), _("There is no message for you at this address."))


def _addressed_to(email: str) -> ColumnElement[bool]:
    """Recipient rows of this address that were delivered (or wait) in the portal."""
    return and_(func.lower(Recipient.address) == email, Recipient.delivery != "none")


def _entry(recipient: Recipient, message: Message, now: datetime) -> InboxEntry:
    return InboxEntry(
        recipient.id,
        message.sender_name,
        message.sender_address,
        message.content_blob_id,
        message.created_at,
        closed=link_closure(
            recipient.revoked_at, recipient.expires_at, now, message.content_deleted_at
        ),
        org_id=message.org_id,
    )


def inbox_entry(session: Session, reader: Reader, recipient_id: str) -> InboxEntry | None:
    """The account's own recipient row with this id, or None; `LinkClosed` (410) when the
    sender withdrew it or it expired."""
    if len(recipient_id) != _RECIPIENT_ID_LENGTH or not reader.account_email:
        return None
    row = session.execute(
        select(Recipient, Message)
        .join(Message, Message.id == Recipient.message_id)
        .where(_addressed_to(reader.account_email), Recipient.id == recipient_id)
    ).first()
    if row is None:
        return None
    recipient, message = row
    # Checked on every request, as for a link (withdrawn.py).
    now = utcnow()
    refuse_closed(
        session,
        recipient.revoked_at,
        recipient.expires_at,
        message.org_id,
        now,
        message.content_deleted_at,
    )
    return _entry(recipient, message, now)


def account_reader(session: Session, cookie: str | None, lifetime: Lifetime) -> Reader:
    """The account behind the session cookie; a 403 (to the login form) otherwise."""
    reader = session_reader(session, cookie, utcnow(), lifetime)
    if reader is None or reader.account_id is None:
        raise needs_login()
    return reader


def _subject(rt: Runtime, content_blob_id: str) -> str:
    return ReadableMessage.from_json(rt.vault.get_bytes(content_blob_id)).subject


def _inbox(rt: Runtime, cookie: str | None) -> tuple[str, list[InboxEntry]]:
    with rt.db.begin() as session:
        reader = account_reader(session, cookie, Lifetime.of(rt.settings.web))
        rows = session.execute(
            select(Recipient, Message)
            .join(Message, Message.id == Recipient.message_id)
            .where(_addressed_to(reader.account_email))
            .order_by(Message.created_at.desc(), Recipient.id)
            .limit(INBOX_SIZE)
        ).all()
        now = utcnow()
        entries = [_entry(recipient, message, now) for recipient, message in rows]
    # The subject lives only in the encrypted readable form; it is shown, never logged, and
    # not even read for a message that was withdrawn, expired or deleted.
    return reader.account_email, [
        entry if entry.closed else replace(entry, subject=_subject(rt, entry.content_blob_id))
        for entry in entries
    ]


async def inbox_page(request: Request) -> Response:
    try:
        email, entries = await run_in_threadpool(
            _inbox, request.app.state.rt, read_cookie(request, SESSION_COOKIE)
        )
    except Refusal as refusal:
        if refusal.start is not None:
            return RedirectResponse(refusal.start, status_code=303)
        raise
    # The inbox shows subjects: an access to content like any other.
    await log_event(request, "portal.inbox", f"account:{email}", details={"shown": len(entries)})
    return render_form(request, "inbox.html", email=email, entries=entries)

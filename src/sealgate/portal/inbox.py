"""The inbox of a logged-in account: every message addressed to its email.

GET /inbox                                 newest first: sender, date, subject
GET /inbox/{recipient_id}/read, /html, /attachments/{index}
                                           one message, through its own recipient row

An account session (`PortalSession.account_id`) may open any recipient row whose address is
the account's email (compared case-insensitively), whatever method the policy chose for it:
the login is at least as strong as any guest proof. Rows addressed to anyone else look like
rows that do not exist (404). Recipients whose delivery is `none` were never delivered and
are not shown. Without an account session the inbox sends the browser to the login form.
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
from sealgate.intake import ReadableMessage
from sealgate.locale import _
from sealgate.portal.cookies import SESSION_COOKIE, read_cookie
from sealgate.portal.csrf import render_form
from sealgate.portal.pages import Refusal
from sealgate.portal.sessions import Reader, session_reader
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


def _entry(recipient: Recipient, message: Message) -> InboxEntry:
    return InboxEntry(
        recipient.id,
        message.sender_name,
        message.sender_address,
        message.content_blob_id,
        message.created_at,
    )


def inbox_entry(session: Session, reader: Reader, recipient_id: str) -> InboxEntry | None:
    """The account's own recipient row with this id, or None."""
    if len(recipient_id) != _RECIPIENT_ID_LENGTH or not reader.account_email:
        return None
    row = session.execute(
        select(Recipient, Message)
        .join(Message, Message.id == Recipient.message_id)
        .where(_addressed_to(reader.account_email), Recipient.id == recipient_id)
    ).first()
    return _entry(row[0], row[1]) if row is not None else None


def account_reader(session: Session, cookie: str | None) -> Reader:
    """The account behind the session cookie; a 403 (to the login form) otherwise."""
    reader = session_reader(session, cookie, utcnow())
    if reader is None or reader.account_id is None:
        raise needs_login()
    return reader


def _subject(rt: Runtime, content_blob_id: str) -> str:
    return ReadableMessage.from_json(rt.vault.get_bytes(content_blob_id)).subject


def _inbox(rt: Runtime, cookie: str | None) -> tuple[str, list[InboxEntry]]:
    with rt.db.begin() as session:
        reader = account_reader(session, cookie)
        rows = session.execute(
            select(Recipient, Message)
            .join(Message, Message.id == Recipient.message_id)
            .where(_addressed_to(reader.account_email))
            .order_by(Message.created_at.desc(), Recipient.id)
            .limit(INBOX_SIZE)
        ).all()
        entries = [_entry(recipient, message) for recipient, message in rows]
    # The subject lives only in the encrypted readable form; it is shown, never logged.
    return reader.account_email, [
        replace(entry, subject=_subject(rt, entry.content_blob_id)) for entry in entries
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
    return render_form(request, "inbox.html", email=email, entries=entries)

"""Reading the message: the page, and its HTML body in a sandboxed frame.

GET /m/{token}/read  subject, sender, date, To/Cc, one body, attachments
GET /m/{token}/html  the sanitised HTML body as its own document, under a CSP that loads
                     nothing but the message's own pictures, and sandboxes the frame even if
                     the embedding page forgot to
GET /inbox/{recipient_id}/read and /html: the same for a logged-in account (see inbox.py)
The read page carries the reply form (reply.py); `?error=<key>` words a refused reply there.

One body: the HTML in its frame when the mail has one, else the text (a mail program writes
the text part as a stand-in for the same words). The frame is sandboxed without scripts,
forms, popups or top navigation; it keeps its own origin (`allow-same-origin`) only so that
it may load the message's `cid:` pictures from our same-origin route (inline_images.py) with
the session cookie. Scripts stay blocked three times over: the sanitiser removes them, the
frame's CSP allows none, and the sandbox does not allow them.

Both need a live session of the link's own recipient, or of an account the message was
addressed to; without one the read page sends the browser back to the start page (or the
login form) and the frame gets a 403. The read page alone may open that session itself for
a browser remembered for the link's address (remember_device.py), and sets its cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from sealgate.bootstrap import Runtime
from sealgate.intake import ReadableMessage
from sealgate.portal.access_log import client_of, log_reading
from sealgate.portal.cookies import DEVICE_COOKIE, SESSION_COOKIE, read_cookie, set_session_cookie
from sealgate.portal.csrf import render_form
from sealgate.portal.form_errors import reply_error
from sealgate.portal.inbox import InboxEntry, account_reader, inbox_entry, no_such_message
from sealgate.portal.link import LinkTarget, resolve_link
from sealgate.portal.message_facts import sender_line, sent_at
from sealgate.portal.pages import Refusal, link_not_valid, needs_verification
from sealgate.portal.proof import record_opened
from sealgate.portal.remember_device import admit_remembered
from sealgate.portal.reply import REPLY_FORM_ID, reply_all_to
from sealgate.portal.reply_form import MAX_ATTACHMENTS
from sealgate.portal.sanitise import SanitisedHtml, html_document, sanitised
from sealgate.portal.sessions import Lifetime, Reader, session_reader
from sealgate.store import utcnow

HTML_BODY_POLICY = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "sandbox allow-same-origin; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True)
class Reading:
    """A recipient with a live session, and the message they may read."""

    target: LinkTarget | InboxEntry
    message: ReadableMessage
    actor: str  # for the audit trail: "guest:<address>" or "account:<email>"
    org_id: int
    # A session this request opened for a remembered browser: its secret, for the cookie.
    opened_session: str | None = None

    @property
    def recipient_id(self) -> str:
        return self.target.recipient_id

    @property
    def in_inbox(self) -> bool:
        return isinstance(self.target, InboxEntry)

    @property
    def accepted_at(self) -> datetime | None:
        if isinstance(self.target, InboxEntry):
            return self.target.received_at
        return self.target.accepted_at

    @property
    def has_html(self) -> bool:
        return bool(self.message.html and self.message.html.strip())

    def inline_paths(self) -> dict[str, str]:
        """Each inline picture's Content-ID → the same-origin path that serves it."""
        start = self.target.start
        return {
            image.content_id: f"{start}/inline/{index}"
            for index, image in enumerate(self.message.inline_images)
        }

    def sanitised_html(self) -> SanitisedHtml:
        return sanitised(self.message.html or "", self.inline_paths())


@dataclass(frozen=True)
class _Remembering:
    """The read page's request may open a session for a remembered browser."""

    device: str | None  # the device cookie
    client: str | None


def _authorised_target(
    rt: Runtime, token: str, cookie: str | None, remembering: _Remembering | None
) -> tuple[LinkTarget, Reader | None, str | None]:
    """The link's target, the session's reader if it may read it (else None), and the
    secret of a session opened for a remembered browser (remember_device.py)."""
    now = utcnow()
    with rt.db.begin() as session:
        target = resolve_link(session, token, now)
        if target is None:
            raise link_not_valid()
        reader = session_reader(session, cookie, now, Lifetime.of(rt.settings.web))
        if reader is not None and reader.may_read(target.recipient_id, target.address):
            return target, reader, None
        if remembering is not None and remembering.device is not None:
            secret = admit_remembered(
                session,
                rt,
                target,
                remembering.device,
                previous=cookie,
                client=remembering.client,
                now=now,
            )
            if secret is not None:
                return target, Reader(recipient_id=target.recipient_id), secret
        return target, None, None


def _actor(reader: Reader, address: str) -> str:
    if reader.account_email and reader.recipient_id is None:
        return f"account:{reader.account_email}"
    return f"guest:{address}"


def _open_inbox_message(rt: Runtime, recipient_id: str, cookie: str | None) -> Reading:
    with rt.db.begin() as session:
        reader = account_reader(session, cookie, Lifetime.of(rt.settings.web))
        entry = inbox_entry(session, reader, recipient_id)
        if entry is None:
            raise no_such_message()
    message = ReadableMessage.from_json(rt.vault.get_bytes(entry.content_blob_id))
    return Reading(entry, message, f"account:{reader.account_email}", entry.org_id)


def _open_message(
    rt: Runtime, token: str, cookie: str | None, remembering: _Remembering | None
) -> Reading:
    target, reader, opened = _authorised_target(rt, token, cookie, remembering)
    if reader is None:
        raise needs_verification(target.start)
    message = ReadableMessage.from_json(rt.vault.get_bytes(target.content_blob_id))
    return Reading(target, message, _actor(reader, target.address), target.org_id, opened)


async def open_message(request: Request, *, remembered: bool = False) -> Reading:
    """The message behind this link, for a browser with a session of its recipient.

    Raises a 404 `Refusal` for a bad link and a 403 one without such a session. Inbox
    addresses (/inbox/{recipient_id}/...) need an account session of the recipient's address.
    `remembered` (the read page only): a remembered browser without a session gets one.
    """
    rt: Runtime = request.app.state.rt
    cookie = read_cookie(request, SESSION_COOKIE)
    if "recipient_id" in request.path_params:
        recipient_id = request.path_params["recipient_id"]
        return await run_in_threadpool(_open_inbox_message, rt, recipient_id, cookie)
    remembering = None
    if remembered:
        remembering = _Remembering(read_cookie(request, DEVICE_COOKIE), client_of(request))
    token = request.path_params["token"]
    return await run_in_threadpool(_open_message, rt, token, cookie, remembering)


async def read_page(request: Request) -> Response:
    try:
        reading = await open_message(request, remembered=True)
    except Refusal as refusal:
        if refusal.status == 403 and refusal.start is not None:
            return RedirectResponse(refusal.start, status_code=303)
        raise
    via = "account" if reading.in_inbox else "link"
    rt: Runtime = request.app.state.rt
    await run_in_threadpool(record_opened, rt, reading.target.recipient_id, via=via)
    await log_reading(request, reading, "portal.open")
    others = await run_in_threadpool(reply_all_to, rt, reading.target.recipient_id)
    message, target = reading.message, reading.target
    sent = sent_at(message.date, reading.accepted_at)
    limit = rt.settings.submission.max_message_size
    response = render_form(
        request,
        "read.html",
        target=target,
        message=message,
        sender=sender_line(target.sender_name, target.sender_address, message.sender),
        sent=sent,
        sent_in_utc=sent is not None and sent_at(message.date, None) is None,
        has_html=reading.has_html,
        remote_blocked=reading.has_html and reading.sanitised_html().remote_blocked,
        in_inbox=reading.in_inbox,
        reply_all_to=others,
        reply_limit=limit,
        reply_form_id=REPLY_FORM_ID,
        reply_error=reply_error(request.query_params.get("error", ""), limit, MAX_ATTACHMENTS),
    )
    if reading.opened_session is not None:
        set_session_cookie(response, reading.opened_session)
    return response


async def html_body(request: Request) -> Response:
    reading = await open_message(request)
    await log_reading(request, reading, "portal.html")
    body = reading.sanitised_html().body
    headers = {
        "Content-Security-Policy": HTML_BODY_POLICY,
        "X-Frame-Options": "SAMEORIGIN",
        "X-Content-Type-Options": "nosniff",
    }
    return HTMLResponse(html_document(body), headers=headers)

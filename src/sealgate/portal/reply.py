"""Replying in the portal: a new message in the same conversation, through the same pipeline.

POST /m/{token}/reply          a guest with a verified session of the link's recipient
POST /inbox/{recipient_id}/reply  an account whose email the recipient row is addressed to
GET  .../replied               "your reply was sent" (POST-redirect-GET)
GET  .../read?error=<key>      where a refused reply comes back to (read.py shows the form)

The form (`reply_form`) carries only the text, the files and the reply-all choice. The
server decides everything else: From is the replier's verified address, To is the original
sender, and with `reply_all` Cc is the rest of the recipient's conversation (a Bcc
recipient's conversation has only them, so reply-all reaches only the sender). The reply is
committed with `commit_submission`, the function SMTP's tests and the CLI use for one
message: vault blob first, then an `incoming` submission row of the original's organisation,
which intake, route and delivery then treat like any submitted message (notification, or IDD
when the organisation enabled it). The row names the message it answers (`in_reply_to`),
and the recipient's `replied_at` is set in the same transaction. The whole request body is
bounded by `[submission] max_message_size`, and so is the reply as built. A refused reply
(empty, too large, too many files, not our form) answers 303 to its read page with
`?error=<key>` (`form_errors.ReplyError`), which words it next to the form
(POST-redirect-GET, like every portal form); a missing or wrong CSRF token or a foreign
origin is the 403 page every form gives. Nothing of the content is logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.bootstrap import Runtime
from sealgate.intake import ReadableMessage
from sealgate.mail import address_key, parse_header_section
from sealgate.portal.cookies import SESSION_COOKIE, read_cookie
from sealgate.portal.csrf import guard_of, render_form
from sealgate.portal.form_errors import ReplyError
from sealgate.portal.inbox import account_reader, inbox_entry, no_such_message
from sealgate.portal.link import resolve_link
from sealgate.portal.pages import link_not_valid, needs_verification
from sealgate.portal.reply_form import ReplyRefused, read_reply_form
from sealgate.portal.reply_mail import ReplyFile, ReplyHeaders, build_reply, message_ids
from sealgate.portal.sessions import Lifetime, session_reader
from sealgate.store import Account, Message, Recipient, Submission, utcnow
from sealgate.submission import AcceptedMessage, commit_submission

log = logging.getLogger("sealgate.portal")

# The reply form's own id on the read page: a refused reply comes back scrolled to it.
REPLY_FORM_ID = "reply"
# Where the original's header section is looked for: its first bytes, not the whole blob.
_HEADER_SCAN = 256 * 1024


@dataclass(frozen=True)
class Replier:
    """Who replies, as the session proved it, and the recipient row they reply through."""

    recipient_id: str
    address: str  # the verified address: the recipient's, or the account's email
    account_id: int | None  # set for an account login
    start: str  # /m/{token} or /inbox/{recipient_id}


@dataclass(frozen=True)
class ReplyContext:
    """What the server knows about the message replied to; nothing from the form."""

    message_id: str
    org_id: int
    sender_address: str
    others: tuple[str, ...]  # the rest of the replier's conversation
    content_blob_id: str
    raw_blob_id: str
    account_in_org: int | None  # the replier's account, when it belongs to the same org


def _guest_replier(
    session: Session, token: str, cookie: str | None, now: datetime, lifetime: Lifetime
) -> Replier:
    target = resolve_link(session, token, now)
    if target is None:
        raise link_not_valid()
    reader = session_reader(session, cookie, now, lifetime)
    if reader is None or not reader.may_read(target.recipient_id, target.address):
        raise needs_verification(target.start)
    if reader.account_id is not None:
        # An account opened its own link: it replies as its login, like from the inbox.
        return Replier(target.recipient_id, reader.account_email, reader.account_id, target.start)
    return Replier(target.recipient_id, target.address, None, target.start)


def _account_replier(
    session: Session, recipient_id: str, cookie: str | None, lifetime: Lifetime
) -> Replier:
    reader = account_reader(session, cookie, lifetime)
    entry = inbox_entry(session, reader, recipient_id)
    if entry is None:
        raise no_such_message()
    return Replier(entry.recipient_id, reader.account_email, reader.account_id, entry.start)


def conversation_others(session: Session, recipient: Recipient) -> tuple[str, ...]:
    """Who "reply to all" adds: the other recipients of this recipient's conversation, each
    once, without the recipient and without the original sender (who is in To anyway)."""
    message = session.get_one(Message, recipient.message_id)
    rows = session.scalars(
        select(Recipient.address)
        .where(Recipient.conversation_id == recipient.conversation_id)
        .order_by(Recipient.role.desc(), Recipient.created_at, Recipient.id)
    )
    seen = {address_key(recipient.address), address_key(message.sender_address)}
    others: list[str] = []
    for address in rows:
        key = address_key(address)
        if key not in seen:
            seen.add(key)
            others.append(address)
    return tuple(others)


def _context(session: Session, replier: Replier) -> ReplyContext:
    recipient = session.get_one(Recipient, replier.recipient_id)
    message = session.get_one(Message, recipient.message_id)
    submission = session.get_one(Submission, message.submission_id)
    replier_key = address_key(replier.address)
    others = tuple(
        a for a in conversation_others(session, recipient) if address_key(a) != replier_key
    )
    account_in_org = None
    if replier.account_id is not None:
        account = session.get(Account, replier.account_id)
        if account is not None and account.org_id == message.org_id:
            account_in_org = account.id
    return ReplyContext(
        message_id=message.id,
        org_id=message.org_id,
        sender_address=message.sender_address,
        others=others,
        content_blob_id=message.content_blob_id,
        raw_blob_id=submission.blob_id,
        account_in_org=account_in_org,
    )


def reply_all_to(rt: Runtime, recipient_id: str) -> tuple[str, ...]:
    """Whom "reply to all" adds, for the read page to name (empty: no such choice)."""
    with rt.db.begin() as session:
        recipient = session.get(Recipient, recipient_id)
        return conversation_others(session, recipient) if recipient is not None else ()


def _authorise(rt: Runtime, request: Request) -> tuple[Replier, ReplyContext]:
    cookie = read_cookie(request, SESSION_COOKIE)
    lifetime = Lifetime.of(rt.settings.web)
    with rt.db.begin() as session:
        if "recipient_id" in request.path_params:
            recipient_id = request.path_params["recipient_id"]
            replier = _account_replier(session, recipient_id, cookie, lifetime)
        else:
            token = request.path_params["token"]
            replier = _guest_replier(session, token, cookie, utcnow(), lifetime)
        return replier, _context(session, replier)


def _original_headers(rt: Runtime, raw_blob_id: str) -> tuple[str, tuple[str, ...]]:
    """The original's Message-ID and References, read from the start of its raw blob."""
    head = b""
    try:
        for chunk in rt.vault.stream(raw_blob_id):
            head += chunk
            if b"\r\n\r\n" in head or b"\n\n" in head or len(head) >= _HEADER_SCAN:
                break
    except (OSError, ValueError):
        return "", ()
    section = parse_header_section(head)
    found = [message_ids(field.value) for field in section.get_all("Message-ID")]
    message_id = found[0][0] if found and found[0] else ""
    references = tuple(
        i for field in section.get_all("References") for i in message_ids(field.value)
    )
    return message_id, references


def _commit(
    rt: Runtime,
    request: Request,
    replier: Replier,
    context: ReplyContext,
    body: str,
    files: tuple[ReplyFile, ...],
    reply_all: bool,
) -> str:
    """Build the reply and store it as a submission; returns its queue id."""
    limit = rt.settings.submission.max_message_size
    original = ReadableMessage.from_json(rt.vault.get_bytes(context.content_blob_id))
    portal_host = urlsplit(rt.settings.web.base_url).hostname or "sealgate.invalid"
    message_id, references = _original_headers(rt, context.raw_blob_id)
    cc = context.others if reply_all else ()
    headers = ReplyHeaders(
        sender=replier.address,
        to=(context.sender_address,),
        cc=cc,
        subject=original.subject,
        # Without a Message-ID of its own, the original is named by a stable stand-in.
        original_message_id=message_id or f"<{context.message_id}@{portal_host}>",
        original_references=references,
        message_id_domain=portal_host,
    )
    raw = build_reply(headers, body, files, datetime.now(UTC))
    if len(raw) > limit:
        raise ReplyRefused(ReplyError.TOO_LARGE)
    accepted = AcceptedMessage(
        raw=raw,
        org_id=context.org_id,
        account_id=context.account_in_org,
        mail_from=replier.address,
        rcpt_to=(context.sender_address, *cc),
        client_address=request.client.host if request.client else "",
        authenticated_as="portal:account" if replier.account_id is not None else "portal:guest",
        in_reply_to=context.message_id,
    )

    def mark_replied(session: Session, queue_id: str) -> None:
        session.execute(
            update(Recipient)
            .where(Recipient.id == replier.recipient_id, Recipient.replied_at.is_(None))
            .values(replied_at=utcnow())
            .execution_options(synchronize_session=False)
        )

    queue_id = commit_submission(rt, accepted, mark_replied)
    log.info(
        "portal: recipient %s replied to message %s -> submission %s (%d recipients)",
        replier.recipient_id,
        context.message_id,
        queue_id,
        len(accepted.rcpt_to),
    )
    return queue_id


async def send_reply(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    guard = guard_of(request)
    guard.check_origin(request)
    replier, context = await run_in_threadpool(_authorise, rt, request)
    limit = rt.settings.submission.max_message_size
    try:
        posted = await read_reply_form(request, guard, limit, replier.start)
        await run_in_threadpool(
            _commit, rt, request, replier, context, posted.text, posted.files, posted.reply_all
        )
    except ReplyRefused as refused:
        where = f"{replier.start}/read?error={refused.error.value}#{REPLY_FORM_ID}"
        return RedirectResponse(where, status_code=303)
    return RedirectResponse(f"{replier.start}/replied", status_code=303)


async def reply_sent(request: Request) -> Response:
    """The page after a reply: it shows no content, only the way back to the message."""
    in_inbox = "recipient_id" in request.path_params
    if in_inbox:
        start = f"/inbox/{request.path_params['recipient_id']}"
    else:
        start = f"/m/{request.path_params['token']}"
    return render_form(
        request, "reply_sent.html", back=f"{start}/read", start=start, in_inbox=in_inbox
    )

"""The sender's view: a logged-in account's sent messages, and what happened to each.

GET /sent?page=N            the account's sent messages, newest first, SENT_PAGE_SIZE a page
GET /sent/{message_id}      per recipient: method; notified or delivered directly (with the
                            transport facts); opened; downloads; replied; bounced or deferred;
                            withdrawn or expired. The replies in conversation order, each
                            with a link into the inbox; the forms of sent_actions.py.

Only the sender's own messages (`sent_rows.owned_message`); without an account session the
browser goes to the login form. Each page shows subjects, so each is an access to content
and is recorded in the audit trail (`portal.sent`, `portal.sent.open`) like the inbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.bootstrap import Runtime
from sealgate.locale import _
from sealgate.portal.access_log import log_event
from sealgate.portal.cookies import SESSION_COOKIE, read_cookie
from sealgate.portal.csrf import render_form
from sealgate.portal.inbox import account_reader
from sealgate.portal.pages import Refusal
from sealgate.portal.sent_rows import (
    SentEntry,
    SentMessage,
    sent_message,
    sent_page,
    with_content_names,
    with_subjects,
)
from sealgate.portal.sessions import Lifetime, Reader
from sealgate.store import utcnow

T = TypeVar("T")
# Where `inbox.needs_login` sends a browser without an account session.
LOGIN_PAGE = "/login"
_MAX_PAGE = 10_000


def as_sender(rt: Runtime, cookie: str | None, work: Callable[[Session, Reader], T]) -> T:
    """`work` in one transaction for the account behind `cookie` (403 to the login form)."""
    with rt.db.begin() as session:
        reader = account_reader(session, cookie, Lifetime.of(rt.settings.web))
        return work(session, reader)


async def for_sender(request: Request, work: Callable[[Session, Reader], T]) -> T:
    """`as_sender` for this request, off the event loop."""
    cookie = read_cookie(request, SESSION_COOKIE)
    return await run_in_threadpool(as_sender, request.app.state.rt, cookie, work)


def to_login(refusal: Refusal) -> Response:
    """No account session: the browser goes to the login form; other refusals stand."""
    if refusal.start == LOGIN_PAGE:
        return RedirectResponse(LOGIN_PAGE, status_code=303)
    raise refusal


def bad_page() -> Refusal:
    return Refusal(400, _("Page not found"), _("There is no page at this address."))


def _page_number(request: Request) -> int:
    text = request.query_params.get("page", "1")
    if not text.isdigit() or not 1 <= int(text) <= _MAX_PAGE:
        raise bad_page()
    return int(text)


def _notices() -> dict[str, str]:
    """What the page says after an action of sent_actions.py (POST-redirect-GET)."""
    return {
        "revoked": _("The message was withdrawn. Its links no longer open."),
        "unrevoked": _("The withdrawal was undone. The links open again."),
        "expiry": _("The expiry was saved."),
        "everyone": _("The message was withdrawn for everyone and removed from this list."),
    }


def method_names() -> dict[str, str]:
    """Each policy method (policy.Method) as the sender reads it."""
    return {
        "account": _("Account login"),
        "nta7516": _("Delivered directly (NTA 7516)"),
        "idd": _("Delivered directly (Inbound Direct Delivery)"),
        "access_right_sms": _("Code by SMS (access right)"),
        "access_right_access_code": _("Access code (access right)"),
        "direct_delivery": _("Delivered directly"),
        "transport_security": _("Delivered directly (transport security)"),
        "sms": _("Code by SMS"),
        "access_code": _("Access code"),
        "email_verification": _("Code by email"),
        "none": _("Not sent"),
    }


def role_names() -> dict[str, str]:
    return {"to": _("To"), "cc": _("Cc"), "bcc": _("Bcc")}


async def sent_list(request: Request) -> Response:
    page = _page_number(request)

    def listing(session: Session, reader: Reader) -> tuple[str, list[SentEntry], bool]:
        entries, more = sent_page(session, reader, page)
        return reader.account_email, entries, more

    try:
        email, entries, more = await for_sender(request, listing)
    except Refusal as refusal:
        return to_login(refusal)
    entries = await run_in_threadpool(with_subjects, request.app.state.rt, entries)
    await log_event(
        request, "portal.sent", f"account:{email}", details={"shown": len(entries), "page": page}
    )
    return render_form(
        request,
        "sent.html",
        email=email,
        entries=entries,
        page=page,
        more=more,
        notice=_notices().get(request.query_params.get("done", "")),
    )


async def sent_detail(request: Request) -> Response:
    message_id = request.path_params["message_id"]

    def detail(session: Session, reader: Reader) -> tuple[str, SentMessage]:
        return reader.account_email, sent_message(session, reader, message_id, utcnow())

    try:
        email, message = await for_sender(request, detail)
    except Refusal as refusal:
        return to_login(refusal)
    message = await run_in_threadpool(with_content_names, request.app.state.rt, message)
    await log_event(request, "portal.sent.open", f"account:{email}", target=message_id)
    return render_form(
        request,
        "sent_message.html",
        email=email,
        message=message,
        methods=method_names(),
        roles=role_names(),
        notice=_notices().get(request.query_params.get("done", "")),
    )

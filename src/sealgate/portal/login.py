"""Account login, first step: the password; and logging out.

GET  /login              the login form (for going to the inbox directly)
POST /login              check email + password → the second factor (or its enrolment)
POST /m/{token}/login    the same from a message's start page: the account's email must be
                         the message's recipient address, and the message opens after login
POST /logout             end this browser's session

Every failure gets the same sentence and the same argon2 cost, whether the address has an
account, the password is wrong, the account is disabled or it is not the recipient's; the
attempt counts against the address before it is judged (`throttle.take_login_attempt`).
A right password never opens a session by itself: it sets a login ticket (`login_ticket`)
for the second factor. An account without a second factor is enrolled right here
(`enrolment.start_enrolment`), in the answer to this POST, since a GET must change nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.bootstrap import Runtime
from sealgate.directory import verify_password
from sealgate.locale import N_, _, ngettext
from sealgate.mail import address_key
from sealgate.portal.access_log import UNKNOWN_ACCOUNT, client_of, log_event, record_portal
from sealgate.portal.cookies import SESSION_COOKIE, clear_session_cookie, read_cookie
from sealgate.portal.csrf import guard_of, render_form
from sealgate.portal.enrolment import Enrolment, enrolment_page, start_enrolment
from sealgate.portal.link import LinkTarget, find_target, start_page
from sealgate.portal.login_ticket import (
    TICKET_SECONDS,
    LoginTicket,
    Stage,
    format_ticket,
    set_ticket_cookie,
)
from sealgate.portal.methods import Proof
from sealgate.portal.pages import link_not_valid
from sealgate.portal.sessions import Lifetime, close_session, session_reader
from sealgate.portal.throttle import give_back_login_attempt, locked_for, take_login_attempt
from sealgate.store import Account, Message, Recipient, utcnow

LOGIN_FAILED = N_("The email address or password is not right.")
ADDRESS_MAX_LENGTH = 320
PASSWORD_MAX_LENGTH = 1024


def login_page(
    request: Request,
    target: LinkTarget | None,
    *,
    status: int = 200,
    error: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The login form: on the message's start page, or on its own at /login."""
    if target is not None:
        return start_page(request, target, status=status, error=error, headers=headers)
    return render_form(request, "login.html", status=status, headers=headers, error=error)


def locked_out(wait: int) -> str:
    """The sentence for an address locked (`throttle.py`) for `wait` seconds."""
    minutes = -(-wait // 60)
    return ngettext(
        "Too many failed log-ins for this address. Please try again in %(num)d minute.",
        "Too many failed log-ins for this address. Please try again in %(num)d minutes.",
        minutes,
    )


def locked_page(request: Request, target: LinkTarget | None, wait: int) -> Response:
    headers = {"Retry-After": str(wait)}
    return login_page(request, target, status=429, error=locked_out(wait), headers=headers)


@dataclass(frozen=True)
class PasswordChecked:
    account_id: int | None = None  # None: the login failed
    enrolment: Enrolment | None = None  # set when the account has no second factor yet
    wait: int = 0  # > 0: the address is locked for this many seconds; nothing was checked
    known: bool = False  # the typed address is an account's (for the audit trail only)


def check_password(
    rt: Runtime, email: str, password: str, recipient_address: str | None
) -> PasswordChecked:
    """Count the attempt (committed), then run argon2 outside any transaction, then log in."""
    now = utcnow()
    with rt.db.begin() as session:
        wait = take_login_attempt(session, email, now)
        known = session.scalar(select(Account.id).where(Account.email == email)) is not None
    if wait:
        return PasswordChecked(wait=wait, known=known)
    with rt.db.begin() as session:
        account = session.scalars(select(Account).where(Account.email == email)).one_or_none()
        stored = account.password_hash if account is not None and account.active else None
        # verify_password runs argon2 against a dummy hash when there is nothing to check.
        right = verify_password(stored or None, password) and account is not None
        if not right or account is None or not _is_recipient(account, recipient_address):
            # The failure that filled the window is answered as the lockout it started.
            return PasswordChecked(wait=locked_for(session, email, now), known=known)
        give_back_login_attempt(session, email)
        if account.totp_enabled:
            return PasswordChecked(account.id, known=True)
        return PasswordChecked(account.id, start_enrolment(rt, account), known=True)


def _is_recipient(account: Account, recipient_address: str | None) -> bool:
    """From a message's start page, only the recipient's own account logs in."""
    return recipient_address is None or address_key(account.email) == address_key(recipient_address)


async def _login_target(request: Request) -> LinkTarget | None:
    token = request.path_params.get("token")
    if token is None:
        return None
    target = await run_in_threadpool(find_target, request.app.state.rt, token)
    if target is None:
        raise link_not_valid()
    return target


async def login(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    token = request.path_params.get("token")
    form = await guard_of(request).checked_form(request, start=f"/m/{token}" if token else "/login")
    target = await _login_target(request)
    if target is not None and target.proof is not Proof.ACCOUNT:
        return RedirectResponse(target.start, status_code=303)
    typed = str(form.get("email", "")).strip()
    password = str(form.get("password", ""))
    if not typed or not password:
        error = _("Please type your email address and your password.")
        return login_page(request, target, status=400, error=error)
    email = address_key(typed)
    if len(typed) > ADDRESS_MAX_LENGTH or len(password) > PASSWORD_MAX_LENGTH:
        return login_page(request, target, status=400, error=_(LOGIN_FAILED))
    address = target.address if target is not None else None
    checked = await run_in_threadpool(check_password, rt, email, password, address)
    await _log_password(request, email, checked)
    if checked.wait:
        return locked_page(request, target, checked.wait)
    if checked.account_id is None:
        return login_page(request, target, status=400, error=_(LOGIN_FAILED))
    ticket = LoginTicket(
        checked.account_id,
        Stage.ENROL if checked.enrolment is not None else Stage.TOTP,
        int(time.time()) + TICKET_SECONDS,
        target.recipient_id if target is not None else None,
    )
    if checked.enrolment is not None:
        response = enrolment_page(request, checked.enrolment)
    else:
        response = RedirectResponse("/login/totp", status_code=303)
    set_ticket_cookie(response, format_ticket(request.app.state.login_key, ticket))
    return response


async def _log_password(request: Request, email: str, checked: PasswordChecked) -> None:
    """Record the password step; an address that is no account's is not kept (it may be
    a password typed into the wrong field)."""
    passed = checked.account_id is not None
    details = {"method": "password", "outcome": "correct" if passed else "wrong"}
    if checked.wait and not passed:
        details["outcome"] = "locked"
    await log_event(
        request,
        "portal.verify.ok" if passed else "portal.verify.fail",
        f"account:{email}" if checked.known else UNKNOWN_ACCOUNT,
        outcome="ok" if passed else "denied",
        details=details,
    )


async def login_form(request: Request) -> Response:
    return login_page(request, None)


def log_out(rt: Runtime, secret: str | None, client: str | None) -> None:
    """End the session, and record whose it was in the same transaction."""
    with rt.db.begin() as session:
        reader = session_reader(session, secret, utcnow(), Lifetime.of(rt.settings.web))
        close_session(session, secret)
        if reader is None:
            return
        org_id = None
        if reader.recipient_id is not None:
            address, org_id = session.execute(
                select(Recipient.address, Message.org_id)
                .join(Message, Message.id == Recipient.message_id)
                .where(Recipient.id == reader.recipient_id)
            ).one()
            actor, target = f"guest:{address}", reader.recipient_id
        else:
            actor, target = f"account:{reader.account_email}", None
        record_portal(session, "portal.logout", actor, client, org_id=org_id, target=target)


async def logout(request: Request) -> Response:
    await guard_of(request).checked_form(request, start="/")
    cookie = read_cookie(request, SESSION_COOKIE)
    await run_in_threadpool(log_out, request.app.state.rt, cookie, client_of(request))
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response)
    return response

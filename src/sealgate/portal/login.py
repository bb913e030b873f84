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
for the second factor. An account without a second factor gets its new secret here
(`setup_enrolment.begin_setup_enrolment`), since a GET must change nothing, and is sent on
to /account/enrol, which shows it (POST-redirect-GET, as after setting a password).
A refusal answers 303 back to the form with `?error=<key>` (`form_errors`), never a page.
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
from sealgate.mail import address_key
from sealgate.portal.access_log import UNKNOWN_ACCOUNT, client_of, log_event, record_portal
from sealgate.portal.cookies import SESSION_COOKIE, clear_session_cookie, read_cookie
from sealgate.portal.csrf import guard_of, render_form
from sealgate.portal.form_errors import LOGIN_FAILED, LoginError, locked_out, login_error
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
from sealgate.portal.setup_enrolment import begin_setup_enrolment
from sealgate.portal.throttle import give_back_login_attempt, locked_for, take_login_attempt
from sealgate.store import Account, Message, Recipient, utcnow

__all__ = [
    "LOGIN_FAILED",
    "check_password",
    "locked_out",
    "log_out",
    "login",
    "login_form",
    "login_page",
    "logout",
]
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


def refused(target: LinkTarget | None, error: LoginError, wait: int = 0) -> Response:
    """303 back to the login form, which words `error` itself (POST-redirect-GET)."""
    form = target.start if target is not None else "/login"
    headers = {"Retry-After": str(wait)} if wait else None
    return RedirectResponse(f"{form}?error={error.value}", status_code=303, headers=headers)


@dataclass(frozen=True)
class PasswordChecked:
    account_id: int | None = None  # None: the login failed
    enrolling: bool = False  # the account has no second factor yet: a new secret was sealed
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
        begin_setup_enrolment(rt, account)
        return PasswordChecked(account.id, enrolling=True, known=True)


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
        return refused(target, LoginError.MISSING)
    email = address_key(typed)
    if len(typed) > ADDRESS_MAX_LENGTH or len(password) > PASSWORD_MAX_LENGTH:
        return refused(target, LoginError.FAILED)
    address = target.address if target is not None else None
    checked = await run_in_threadpool(check_password, rt, email, password, address)
    await _log_password(request, email, checked)
    if checked.wait:
        return refused(target, LoginError.LOCKED, checked.wait)
    if checked.account_id is None:
        return refused(target, LoginError.FAILED)
    ticket = LoginTicket(
        checked.account_id,
        Stage.ENROL if checked.enrolling else Stage.TOTP,
        int(time.time()) + TICKET_SECONDS,
        target.recipient_id if target is not None else None,
    )
    next_page = "/account/enrol" if checked.enrolling else "/login/totp"
    response = RedirectResponse(next_page, status_code=303)
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
    # The address of a lockout is not in the URL (nor anywhere here): the wait is unknown.
    return login_page(request, None, error=login_error(request.query_params.get("error", ""), None))


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

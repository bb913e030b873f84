"""Console login and logout: an account with a role, its password and its second factor.

GET  /admin/login    the form: email address, password, and a code from the app (or a
                     recovery code)
POST /admin/login    one attempt against the address's `login_attempts` row (the portal's
                     throttle: one conditional UPDATE, counted before anything is judged),
                     argon2 outside any transaction, then the code (the portal's
                     `spend_second_factor`, under the account's row lock) → an admin session
POST /admin/logout   end it

A wrong address, password or code all get one sentence. Only when both factors are right
does the page say more: an account without a second factor is sent to set it up in the
portal, and an account without a role is refused (403). Each outcome is in the audit
trail as `admin.login` (ok or denied, with the reason) or `admin.logout`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.admin.console.pages import client_of, field, notice, posted_form, render
from sealgate.admin.console.sessions import (
    ADMIN_COOKIE,
    admin_behind,
    clear_admin_cookie,
    close_admin_session,
    open_admin_session,
    set_admin_cookie,
)
from sealgate.admin.grants import grants_of
from sealgate.audit import record
from sealgate.bootstrap import Runtime
from sealgate.directory import verify_password
from sealgate.locale import _
from sealgate.mail import address_key
from sealgate.portal import (
    Lifetime,
    clear_login_attempts,
    give_back_login_attempt,
    locked_for,
    locked_out,
    read_cookie,
    spend_second_factor,
    take_login_attempt,
)
from sealgate.store import Account, Organisation, utcnow

UNKNOWN_ACCOUNT = "account:(no such account)"
PASSWORD_MAX_LENGTH = 1024


class Outcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"
    NO_SECOND_FACTOR = "no_second_factor"
    NO_ROLE = "no_role"


@dataclass(frozen=True)
class LoginResult:
    outcome: Outcome
    wait: int = 0
    secret: str | None = None


def _stored_hash(rt: Runtime, email: str) -> tuple[str | None, bool]:
    """Count the attempt (committed first); the password hash to check and whether the
    address is an account's."""
    now = utcnow()
    with rt.db.begin() as session:
        if wait := take_login_attempt(session, email, now):
            raise _Locked(wait)
        account = session.scalars(select(Account).where(Account.email == email)).one_or_none()
        if account is None:
            return None, False
        return (account.password_hash if account.active else None), True


class _Locked(Exception):
    def __init__(self, wait: int) -> None:
        self.wait = wait


def check_login(
    rt: Runtime, email: str, password: str, code: str, previous: str | None, client: str | None
) -> LoginResult:
    try:
        stored, known = _stored_hash(rt, email)
    except _Locked as locked:
        _record(rt, email, True, Outcome.LOCKED, client)
        return LoginResult(Outcome.LOCKED, locked.wait)
    # verify_password runs argon2 against a dummy hash when there is nothing to check.
    right = verify_password(stored or None, password) and stored is not None
    result = _second_step(rt, email, code, previous) if right else _wrong(rt, email)
    _record(rt, email, known, result.outcome, client)
    return result


def _wrong(rt: Runtime, email: str) -> LoginResult:
    with rt.db.begin() as session:
        wait = locked_for(session, email, utcnow())
    return LoginResult(Outcome.LOCKED, wait) if wait else LoginResult(Outcome.WRONG)


def _second_step(rt: Runtime, email: str, code: str, previous: str | None) -> LoginResult:
    now = utcnow()
    with rt.db.begin() as session:
        account = session.scalars(
            select(Account).where(Account.email == email).with_for_update()
        ).one()
        if not account.totp_enabled:
            give_back_login_attempt(session, email)
            return LoginResult(Outcome.NO_SECOND_FACTOR)
        if not spend_second_factor(rt, account, code, time.time()):
            wait = locked_for(session, email, now)
            return LoginResult(Outcome.LOCKED, wait) if wait else LoginResult(Outcome.WRONG)
        clear_login_attempts(session, email)
        if not grants_of(session, account.id):
            return LoginResult(Outcome.NO_ROLE)
        lifetime = Lifetime.of(rt.settings.web)
        secret = open_admin_session(session, account.id, previous, now, lifetime)
        return LoginResult(Outcome.OK, secret=secret)


def _record(rt: Runtime, email: str, known: bool, outcome: Outcome, client: str | None) -> None:
    """An address that is no account's is not kept: it may be a password in the wrong field."""
    with rt.db.begin() as session:
        org = session.scalar(
            select(Organisation.name)
            .join(Account, Account.org_id == Organisation.id)
            .where(Account.email == email)
        )
        record(
            session,
            "admin.login",
            f"account:{email}" if known else UNKNOWN_ACCOUNT,
            organisation=org if known else None,
            client=client,
            outcome="ok" if outcome is Outcome.OK else "denied",
            details={"reason": outcome.value},
        )


def _form(request: Request, *, status: int = 200, error: str | None = None) -> Response:
    return render(request, "login.html", status=status, error=error, admin=None)


async def login_form(request: Request) -> Response:
    return _form(request)


async def login(request: Request) -> Response:
    form = await posted_form(request)
    typed = field(form, "email")
    password = form.get("password")
    code = field(form, "code", 40)
    if not typed or not isinstance(password, str) or not password or not code:
        return _form(request, status=400, error=_("Please fill in all three fields."))
    if len(password) > PASSWORD_MAX_LENGTH:
        return _form(
            request, status=400, error=_("The email address, password or code is not right.")
        )
    email = address_key(typed)
    previous = read_cookie(request, ADMIN_COOKIE)
    rt: Runtime = request.app.state.rt
    result = await run_in_threadpool(
        check_login, rt, email, password, code, previous, client_of(request)
    )
    if result.outcome is Outcome.OK and result.secret is not None:
        entered = RedirectResponse("/admin", status_code=303)
        set_admin_cookie(entered, result.secret)
        return entered
    if result.outcome is Outcome.LOCKED:
        response = _form(request, status=429, error=locked_out(result.wait))
        response.headers["Retry-After"] = str(result.wait)
        return response
    if result.outcome is Outcome.NO_SECOND_FACTOR:
        return _form(
            request,
            status=400,
            error=_(
                "This account has no second step yet. Log in to the portal once to set up "
                "your authenticator app, then log in here."
            ),
        )
    if result.outcome is Outcome.NO_ROLE:
        return notice(
            request,
            403,
            _("No admin role"),
            _("This account holds no admin role. Ask an administrator to grant you one."),
            admin=None,
        )
    return _form(request, status=400, error=_("The email address, password or code is not right."))


def _log_out(rt: Runtime, secret: str | None, client: str | None) -> None:
    with rt.db.begin() as session:
        admin = admin_behind(session, secret, utcnow(), Lifetime.of(rt.settings.web))
        close_admin_session(session, secret)
        if admin is not None:
            record(
                session,
                "admin.logout",
                admin.principal.actor,
                organisation=admin.org_name,
                client=client,
            )


async def logout(request: Request) -> Response:
    await posted_form(request)
    secret = read_cookie(request, ADMIN_COOKIE)
    await run_in_threadpool(_log_out, request.app.state.rt, secret, client_of(request))
    response = RedirectResponse("/admin/login", status_code=303)
    clear_admin_cookie(response)
    return response

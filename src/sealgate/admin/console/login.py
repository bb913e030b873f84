"""Console login and logout: an account with a role, its password and its second factor.

GET  /admin/login    the form: email address, password, and a code from the app (or a
                     recovery code); `?error=<key>` words the last refused attempt
POST /admin/login    one attempt against the address's `login_attempts` row (the portal's
                     throttle: one conditional UPDATE, counted before anything is judged),
                     argon2 outside any transaction, then the code (the portal's
                     `spend_second_factor`, under the account's row lock) → an admin session
POST /admin/logout   end it

A wrong address, password or code all get one sentence. Only when both factors are right
does the page say more: an account without a second factor is sent to set it up in the
portal, and an account without a role is refused (403). Each outcome is in the audit
trail as `admin.login` (ok or denied, with the reason) or `admin.logout`.

A refused attempt answers 303 back to the form with `?error=<key>` (`LoginError`), like the
portal's forms (POST-redirect-GET), so the back button never offers to post a password
again. The GET cannot know the typed address, so a lockout also carries the moment it ends
(`&until=<unix seconds>`, with `Retry-After` on the 303); the page words the wait from it
now, capped at the throttle's own lockout, so an edited URL can only shorten what it says.
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
from sealgate.locale import N_, _
from sealgate.mail import address_key
from sealgate.portal import (
    LOGIN_LOCKOUT,
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
LOGIN_FORM = "/admin/login"
WRONG = N_("The email address, password or code is not right.")


class LoginError(StrEnum):
    """Why the last POST of the form was refused (the `error` query key)."""

    MISSING = "missing"  # a field left empty
    FAILED = "failed"  # any wrong address, password or code
    LOCKED = "locked"  # the address is locked (`until` says till when)
    NO_SECOND_FACTOR = "no_second_factor"


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


def _until(value: str, now: float) -> int:
    """The seconds a lockout ending at `value` (unix seconds) still lasts, capped at the
    throttle's lockout; 0 for anything else."""
    if not value.isdigit() or len(value) > 12:
        return 0
    wait = int(value) - int(now)
    return min(wait, int(LOGIN_LOCKOUT.total_seconds())) if wait > 0 else 0


def login_error(key: str, until: str, now: float) -> str | None:
    """The form's words for `key`; None for no key, or one it does not know."""
    if key == LoginError.MISSING:
        return _("Please fill in all three fields.")
    if key == LoginError.FAILED:
        return _(WRONG)
    if key == LoginError.NO_SECOND_FACTOR:
        return _(
            "This account has no second step yet. Log in to the portal once to set up "
            "your authenticator app, then log in here."
        )
    if key != LoginError.LOCKED:
        return None
    # The lock is over: the attempt is worth trying again, which the failure sentence says.
    wait = _until(until, now)
    return locked_out(wait) if wait else _(WRONG)


def _form(request: Request) -> Response:
    query = request.query_params
    error = login_error(query.get("error", ""), query.get("until", ""), time.time())
    return render(request, "login.html", login_error=error, admin=None)


def refused(error: LoginError, wait: int = 0) -> Response:
    """303 back to the form, which words `error` itself (POST-redirect-GET)."""
    if error is not LoginError.LOCKED:
        return RedirectResponse(f"{LOGIN_FORM}?error={error.value}", status_code=303)
    until = int(time.time()) + wait
    return RedirectResponse(
        f"{LOGIN_FORM}?error={error.value}&until={until}",
        status_code=303,
        headers={"Retry-After": str(wait)},
    )


async def login_form(request: Request) -> Response:
    return _form(request)


async def login(request: Request) -> Response:
    form = await posted_form(request)
    typed = field(form, "email")
    password = form.get("password")
    code = field(form, "code", 40)
    if not typed or not isinstance(password, str) or not password or not code:
        return refused(LoginError.MISSING)
    if len(password) > PASSWORD_MAX_LENGTH:
        return refused(LoginError.FAILED)
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
        return refused(LoginError.LOCKED, result.wait)
    if result.outcome is Outcome.NO_SECOND_FACTOR:
        return refused(LoginError.NO_SECOND_FACTOR)
    if result.outcome is Outcome.NO_ROLE:
        return notice(
            request,
            403,
            _("No admin role"),
            _("This account holds no admin role. Ask an administrator to grant you one."),
            admin=None,
        )
    return refused(LoginError.FAILED)


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
    response = RedirectResponse(LOGIN_FORM, status_code=303)
    clear_admin_cookie(response)
    return response

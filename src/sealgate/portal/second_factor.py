"""Account login, second step: a TOTP code or a recovery code; and confirming enrolment.

GET  /login/totp   the code form, for a browser holding a `totp` login ticket (changes nothing)
POST /login/totp   a 6-digit code from the app (each time step accepted once), or one of the
                   recovery codes (spent) → an account session → 303 to the message or inbox
POST /login/enrol  the first code from a newly enrolled app switches `totp_enabled` on and
                   logs in the same way

The account row is locked while its secret's last step or its recovery codes change, so one
code cannot log in twice. Every code counts against the account's address in the same
`login_attempts` row as passwords, before it is judged (`throttle.take_login_attempt`).
A wrong code answers 303 back to its form with `?error=<key>` (`form_errors`): /login/totp,
or /account/enrol (`account_setup.enrol_form`) while enrolling.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.bootstrap import Runtime
from sealgate.mail import address_key
from sealgate.portal.access_log import log_event
from sealgate.portal.cookies import SESSION_COOKIE, read_cookie, set_session_cookie
from sealgate.portal.csrf import guard_of, render_form
from sealgate.portal.form_errors import FactorError, factor_error
from sealgate.portal.login_ticket import LoginTicket, Stage, clear_ticket_cookie, ticket_of
from sealgate.portal.opened import mark_opened
from sealgate.portal.sessions import Lifetime, open_session
from sealgate.portal.throttle import clear_login_attempts, locked_for, take_login_attempt
from sealgate.portal.totp import (
    RECOVERY_KEY_PURPOSE,
    TOTP_KEY_PURPOSE,
    TotpSecret,
    accepted_step,
    hash_recovery_code,
    looks_like_totp,
    open_secret,
    seal_secret,
    spend_recovery_code,
)
from sealgate.store import Account, Recipient, utcnow

CODE_MAX_LENGTH = 40


class FactorOutcome(StrEnum):
    DONE = "done"
    WRONG = "wrong"
    LOCKED = "locked"
    RESTART = "restart"  # the ticket no longer fits the account: log in again


@dataclass(frozen=True)
class FactorResult:
    outcome: FactorOutcome
    wait: int = 0
    session_secret: str | None = None
    email: str = ""  # the account's, for the audit trail


def spend_second_factor(rt: Runtime, account: Account, typed: str, now: float) -> bool:
    """Accept a TOTP code (moving the last step on) or spend a recovery code."""
    key = rt.subkey(TOTP_KEY_PURPOSE)
    if looks_like_totp(typed):
        secret = open_secret(key, account.id, account.totp_secret)
        step = accepted_step(secret, typed, now) if secret is not None else None
        if secret is None or step is None:
            return False
        account.totp_secret = seal_secret(key, account.id, TotpSecret(secret.secret, step))
        return True
    typed_hash = hash_recovery_code(rt.subkey(RECOVERY_KEY_PURPOSE), account.id, typed)
    remaining = spend_recovery_code(list(account.recovery_codes or []), typed_hash)
    if remaining is None:
        return False
    account.recovery_codes = remaining
    return True


def _open_account_session(
    session: Session,
    rt: Runtime,
    account: Account,
    ticket: LoginTicket,
    previous: str | None,
    now: datetime,
) -> str:
    if ticket.recipient_id is not None:
        recipient = session.get(Recipient, ticket.recipient_id)
        if recipient is not None and address_key(recipient.address) == address_key(account.email):
            mark_opened(session, recipient.id, now)
    return open_session(
        session,
        account_id=account.id,
        previous=previous,
        now=now,
        lifetime=Lifetime.of(rt.settings.web),
    )


def _locked_account(session: Session, ticket: LoginTicket) -> Account | None:
    account = session.scalars(
        select(Account).where(Account.id == ticket.account_id).with_for_update()
    ).one_or_none()
    return account if account is not None and account.active else None


def _second_factor(
    rt: Runtime, ticket: LoginTicket, typed: str, previous: str | None
) -> FactorResult:
    """Count the attempt against the account's address, then judge the code, in one
    transaction: the count is its first write, so it holds SQLite's write lock (PostgreSQL:
    the row locks) until the code is judged and spent; a code is cheap to check."""
    now = utcnow()
    with rt.db.begin() as session:
        email = session.scalar(select(Account.email).where(Account.id == ticket.account_id))
        if email is None:
            return FactorResult(FactorOutcome.RESTART)
        if wait := take_login_attempt(session, email, now):
            return FactorResult(FactorOutcome.LOCKED, wait, email=email)
        account = _locked_account(session, ticket)
        enrolling = ticket.stage is Stage.ENROL
        if account is None or account.totp_enabled == enrolling:
            return FactorResult(FactorOutcome.RESTART)
        if enrolling:
            accepted = _confirm_enrolment(rt, account, typed)
        else:
            accepted = spend_second_factor(rt, account, typed, time.time())
        if not accepted:
            return replace(_wrong(session, email, now), email=email)
        clear_login_attempts(session, email)
        secret = _open_account_session(session, rt, account, ticket, previous, now)
        return FactorResult(FactorOutcome.DONE, session_secret=secret, email=email)


def _wrong(session: Session, email: str, now: datetime) -> FactorResult:
    """A wrong code; the one whose attempt filled the window is already a lockout."""
    if wait := locked_for(session, email, now):
        return FactorResult(FactorOutcome.LOCKED, wait)
    return FactorResult(FactorOutcome.WRONG)


def _confirm_enrolment(rt: Runtime, account: Account, typed: str) -> bool:
    key = rt.subkey(TOTP_KEY_PURPOSE)
    secret = open_secret(key, account.id, account.totp_secret)
    if secret is None:
        return False
    step = accepted_step(secret, typed, time.time())
    if step is None:
        return False
    account.totp_secret = seal_secret(key, account.id, TotpSecret(secret.secret, step))
    account.totp_enabled = True
    return True


def locked_wait(rt: Runtime, account_id: int) -> int:
    """Seconds the account's address stays locked now (0: not locked, or no such account)."""
    now = utcnow()
    with rt.db.begin() as session:
        email = session.scalar(select(Account.email).where(Account.id == account_id))
        return locked_for(session, email, now) if email is not None else 0


async def form_error(request: Request, ticket: LoginTicket) -> str | None:
    """The code form's words for its `?error=` key, the lockout's wait read now."""
    key = request.query_params.get("error", "")
    if key != FactorError.LOCKED:
        return factor_error(key, 0)
    wait = await run_in_threadpool(locked_wait, request.app.state.rt, ticket.account_id)
    return factor_error(key, wait)


def _ticket(request: Request, stage: Stage) -> LoginTicket | None:
    ticket = ticket_of(request, request.app.state.login_key, time.time())
    return ticket if ticket is not None and ticket.stage is stage else None


def _restart() -> Response:
    response = RedirectResponse("/login", status_code=303)
    clear_ticket_cookie(response)
    return response


async def totp_form(request: Request) -> Response:
    ticket = _ticket(request, Stage.TOTP)
    if ticket is None:
        return _restart()
    error = await form_error(request, ticket)
    return render_form(request, "totp.html", error=error)


def _wrong_page(result: FactorResult, stage: Stage) -> Response:
    """303 back to the code form (the enrolment page while enrolling), which words it."""
    locked = result.outcome is FactorOutcome.LOCKED
    error = FactorError.LOCKED if locked else FactorError.WRONG
    form = "/account/enrol" if stage is Stage.ENROL else "/login/totp"
    headers = {"Retry-After": str(result.wait)} if locked else None
    return RedirectResponse(f"{form}?error={error.value}", status_code=303, headers=headers)


async def _factor_step(request: Request, stage: Stage) -> Response:
    rt: Runtime = request.app.state.rt
    form = await guard_of(request).checked_form(request, start="/login")
    ticket = _ticket(request, stage)
    if ticket is None:
        return _restart()
    typed = str(form.get("code", "")).strip()
    if len(typed) > CODE_MAX_LENGTH:
        typed = ""  # no code of ours is that long; it fails (and counts) like any wrong one
    previous = read_cookie(request, SESSION_COOKIE)
    result = await run_in_threadpool(_second_factor, rt, ticket, typed, previous)
    if result.outcome is FactorOutcome.RESTART:
        return _restart()
    await _log_factor(request, result, stage)
    if result.session_secret is None:
        return _wrong_page(result, stage)
    response = RedirectResponse(ticket.next_page, status_code=303)
    set_session_cookie(response, result.session_secret)
    clear_ticket_cookie(response)
    return response


async def _log_factor(request: Request, result: FactorResult, stage: Stage) -> None:
    """Record the second factor's outcome, and the log-in it completes."""
    actor = f"account:{result.email}"
    passed = result.outcome is FactorOutcome.DONE
    details = {
        "method": "totp_enrolment" if stage is Stage.ENROL else "totp",
        "outcome": result.outcome.value,
    }
    outcome = "ok" if passed else "denied"
    action = "portal.verify.ok" if passed else "portal.verify.fail"
    await log_event(request, action, actor, outcome=outcome, details=details)
    if passed:
        await log_event(request, "portal.login", actor)


async def check_totp(request: Request) -> Response:
    return await _factor_step(request, Stage.TOTP)


async def confirm_enrolment(request: Request) -> Response:
    return await _factor_step(request, Stage.ENROL)

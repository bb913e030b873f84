"""Account login, second step: a TOTP code or a recovery code; and confirming enrolment.

GET  /login/totp   the code form, for a browser holding a `totp` login ticket (changes nothing)
POST /login/totp   a 6-digit code from the app (each time step accepted once), or one of the
                   recovery codes (spent) → an account session → 303 to the message or inbox
POST /login/enrol  the first code from a newly enrolled app switches `totp_enabled` on and
                   logs in the same way

The account row is locked while its secret's last step or its recovery codes change, so one
code cannot log in twice. Every code counts against the account's address in the same
`login_attempts` row as passwords, before it is judged (`throttle.take_login_attempt`).
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
from sealgate.locale import _
from sealgate.mail import address_key
from sealgate.portal.access_log import log_event
from sealgate.portal.cookies import SESSION_COOKIE, read_cookie, set_session_cookie
from sealgate.portal.csrf import guard_of, render_form
from sealgate.portal.enrolment import Enrolment, enrolment_page
from sealgate.portal.login import locked_out
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
    enrolment: Enrolment | None = None  # to show the enrolment page again after a wrong code
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
            accepted, again = _confirm_enrolment(rt, account, typed)
        else:
            accepted, again = spend_second_factor(rt, account, typed, time.time()), None
        if not accepted:
            return replace(_wrong(session, email, now, again), email=email)
        clear_login_attempts(session, email)
        secret = _open_account_session(session, rt, account, ticket, previous, now)
        return FactorResult(FactorOutcome.DONE, session_secret=secret, email=email)


def _wrong(session: Session, email: str, now: datetime, again: Enrolment | None) -> FactorResult:
    """A wrong code; the one whose attempt filled the window is already a lockout."""
    if wait := locked_for(session, email, now):
        return FactorResult(FactorOutcome.LOCKED, wait, enrolment=again)
    return FactorResult(FactorOutcome.WRONG, enrolment=again)


def _confirm_enrolment(rt: Runtime, account: Account, typed: str) -> tuple[bool, Enrolment | None]:
    key = rt.subkey(TOTP_KEY_PURPOSE)
    secret = open_secret(key, account.id, account.totp_secret)
    if secret is None:
        return False, None
    step = accepted_step(secret, typed, time.time())
    if step is None:
        return False, Enrolment(account.email, secret)
    account.totp_secret = seal_secret(key, account.id, TotpSecret(secret.secret, step))
    account.totp_enabled = True
    return True, None


def _totp_page(request: Request, *, status: int = 200, error: str | None = None) -> Response:
    return render_form(request, "totp.html", status=status, error=error)


def _ticket(request: Request, stage: Stage) -> LoginTicket | None:
    ticket = ticket_of(request, request.app.state.login_key, time.time())
    return ticket if ticket is not None and ticket.stage is stage else None


def _restart() -> Response:
    response = RedirectResponse("/login", status_code=303)
    clear_ticket_cookie(response)
    return response


async def totp_form(request: Request) -> Response:
    if _ticket(request, Stage.TOTP) is None:
        return _restart()
    return _totp_page(request)


def _wrong_page(request: Request, result: FactorResult, stage: Stage) -> Response:
    if result.outcome is FactorOutcome.LOCKED:
        error = locked_out(result.wait)
        status = 429
    else:
        error = _("That code is not right. Type the code your app shows now.")
        status = 400
    if stage is Stage.ENROL and result.enrolment is not None:
        return enrolment_page(request, result.enrolment, status=status, error=error)
    response = _totp_page(request, status=status, error=error)
    if result.outcome is FactorOutcome.LOCKED:
        response.headers["Retry-After"] = str(result.wait)
    return response


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
        return _wrong_page(request, result, stage)
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

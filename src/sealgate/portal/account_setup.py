"""Setting up an account from a link: choose a password, then the second factor.

GET  /account/{token}   the set-password form of an unspent, unexpired link (changes nothing)
POST /account/{token}   a password that meets the rules (`directory.password_rules`) spends
                        the link, replaces the password and ends the account's sessions;
                        then 303 to the second factor, with a login ticket: /account/enrol
                        when no app is enrolled yet, else /login/totp
GET  /account/enrol     the enrolment page (QR code, key, recovery codes) for that ticket;
                        its form posts to /login/enrol, which logs in (`second_factor.py`)
                        and sends a wrong code back here with `?error=<key>`

A refused password answers 303 back to the form with `?error=<code>`, so the back button
never re-posts it. A link is spent by one conditional UPDATE: two posts of one link set one
password. A reset link proves the mailbox, not the person: an account with an app still
needs its code after a reset.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.bootstrap import Runtime
from sealgate.directory import (
    PASSWORD_LIMITS,
    PASSWORD_MIN_LENGTH,
    PASSWORD_PROBLEMS,
    AccountLink,
    find_account_link,
    password_problem_code,
    set_account_password,
    spend_account_link,
)
from sealgate.locale import N_, _
from sealgate.portal.csrf import guard_of, render_form
from sealgate.portal.enrolment import Enrolment, enrolment_page
from sealgate.portal.login_ticket import (
    TICKET_SECONDS,
    LoginTicket,
    Stage,
    clear_ticket_cookie,
    format_ticket,
    set_ticket_cookie,
    ticket_of,
)
from sealgate.portal.pages import link_not_valid
from sealgate.portal.second_factor import form_error
from sealgate.portal.setup_enrolment import begin_setup_enrolment, setup_enrolment
from sealgate.store import Account, utcnow

log = logging.getLogger("sealgate.portal")

ERRORS = {**PASSWORD_PROBLEMS, "mismatch": N_("The two passwords are not the same.")}


def _error_of(code: str) -> str | None:
    """The sentence for a refusal code from the query, in the page's language."""
    msgid = ERRORS.get(code)
    return _(msgid, **PASSWORD_LIMITS) if msgid is not None else None


def _find_link(rt: Runtime, token: str) -> AccountLink | None:
    with rt.db.begin() as session:
        return find_account_link(session, token, utcnow())


async def set_password_form(request: Request) -> Response:
    token = request.path_params["token"]
    link = await run_in_threadpool(_find_link, request.app.state.rt, token)
    if link is None:
        raise link_not_valid()
    return render_form(
        request,
        "set_password.html",
        token=token,
        email=link.email,
        purpose=link.purpose.value,
        min_length=PASSWORD_MIN_LENGTH,
        error=_error_of(request.query_params.get("error", "")),
    )


@dataclass(frozen=True)
class PasswordSet:
    account_id: int
    stage: Stage
    recipient_id: str | None


def _set_password(rt: Runtime, token: str, password: str) -> PasswordSet | str | None:
    """The new password, in one transaction; a problem code, or None for a dead link."""
    now = utcnow()
    with rt.db.begin() as session:
        link = find_account_link(session, token, now)
        if link is None:
            return None
        if problem := password_problem_code(password, link.email):
            return problem
        if not spend_account_link(session, link, now):
            return None
        set_account_password(session, link.account_id, password)
        # Audit hook: ids only.
        log.info("account.password_set purpose=%s account_id=%d", link.purpose, link.account_id)
        account = session.scalars(
            select(Account).where(Account.id == link.account_id).with_for_update()
        ).one()
        if account.totp_enabled:
            return PasswordSet(account.id, Stage.TOTP, link.recipient_id)
        begin_setup_enrolment(rt, account)
        return PasswordSet(account.id, Stage.ENROL, link.recipient_id)


async def set_password(request: Request) -> Response:
    token = request.path_params["token"]
    form = await guard_of(request).checked_form(request, start=f"/account/{token}")
    password = str(form.get("password", ""))
    if password != str(form.get("confirm", "")):
        return RedirectResponse(f"/account/{token}?error=mismatch", status_code=303)
    result = await run_in_threadpool(_set_password, request.app.state.rt, token, password)
    if result is None:
        raise link_not_valid()
    if isinstance(result, str):
        return RedirectResponse(f"/account/{token}?error={result}", status_code=303)
    ticket = LoginTicket(
        result.account_id, result.stage, int(time.time()) + TICKET_SECONDS, result.recipient_id
    )
    next_page = "/account/enrol" if result.stage is Stage.ENROL else "/login/totp"
    response = RedirectResponse(next_page, status_code=303)
    set_ticket_cookie(response, format_ticket(request.app.state.login_key, ticket))
    return response


def _enrolment_of(rt: Runtime, account_id: int) -> Enrolment | None:
    with rt.db.begin() as session:
        account = session.get(Account, account_id)
        if account is None or not account.active or account.totp_enabled:
            return None
        return setup_enrolment(rt, account)


async def enrol_form(request: Request) -> Response:
    ticket = ticket_of(request, request.app.state.login_key, time.time())
    enrolment = None
    if ticket is not None and ticket.stage is Stage.ENROL:
        enrolment = await run_in_threadpool(_enrolment_of, request.app.state.rt, ticket.account_id)
    if enrolment is None:
        response = RedirectResponse("/login", status_code=303)
        clear_ticket_cookie(response)
        return response
    assert ticket is not None
    return enrolment_page(request, enrolment, error=await form_error(request, ticket))

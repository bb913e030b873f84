"""Proving the address: mail a code on request, check it, open a session.

POST /m/{token}/code    make (or replace) the recipient's code and queue the code mail → 303
GET  /m/{token}/verify  the form to type the code into (changes nothing)
POST /m/{token}/verify  check the code; on success open a session → 303 to the message

Every recipient row is locked while its code is changed, so two tabs cannot both send a code
or both spend the last attempt.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.bootstrap import Runtime
from sealgate.delivery.queue import enqueue
from sealgate.notify import compose_code_mail
from sealgate.portal.codes import (
    CODE_DIGITS,
    AttemptOutcome,
    AttemptVerdict,
    CodeLimits,
    CodeState,
    SendRefusal,
    SendVerdict,
    decide_attempt,
    decide_send,
    hash_code,
    new_code,
    normalise_code,
)
from sealgate.portal.cookies import SESSION_COOKIE, read_cookie, set_session_cookie
from sealgate.portal.csrf import guard_of
from sealgate.portal.link import LinkTarget, mask_address, resolve_link
from sealgate.portal.pages import link_not_valid, render
from sealgate.portal.sessions import open_session
from sealgate.store import Recipient, VerificationCode, utcnow

CODE_KEY_PURPOSE = "verification-code"
CODE_MAIL_EXPIRY = timedelta(minutes=10)


def system_from(rt: Runtime) -> str:
    delivery = rt.settings.delivery
    return delivery.system_from or f"noreply@{delivery.helo_name}"


def _locked_code(session: Session, recipient_id: str) -> VerificationCode | None:
    # Lock the recipient, not the code: the code row may not exist yet.
    session.execute(select(Recipient.id).where(Recipient.id == recipient_id).with_for_update())
    return session.scalars(
        select(VerificationCode).where(VerificationCode.recipient_id == recipient_id)
    ).one_or_none()


def _state_of(row: VerificationCode | None) -> CodeState | None:
    if row is None:
        return None
    return CodeState(row.expires_at, row.attempts, row.sends, row.last_sent_at)


def _queue_code_mail(
    session: Session, rt: Runtime, target: LinkTarget, code: str, ttl_minutes: int, now: datetime
) -> None:
    sender = system_from(rt)
    mail = compose_code_mail(
        recipient=target.address,
        code=code,
        sender_name=target.sender_name,
        sender_address=target.sender_address,
        system_from=sender,
        ttl_minutes=ttl_minutes,
        now=now,
    )
    enqueue(
        session,
        rt.vault,
        kind="code",
        mail=mail,
        mail_from=sender,
        rcpt_to=target.address,
        now=now,
        expiry=CODE_MAIL_EXPIRY,
        recipient_id=target.recipient_id,
    )


def _send_code(rt: Runtime, token: str) -> tuple[LinkTarget | None, SendVerdict | None]:
    now = utcnow()
    limits = CodeLimits.from_settings(rt.settings.web)
    with rt.db.begin() as session:
        target = resolve_link(session, token, now)
        if target is None:
            return None, None
        row = _locked_code(session, target.recipient_id)
        verdict = decide_send(_state_of(row), limits, now)
        if not verdict.allowed:
            return target, verdict
        code = new_code()
        if row is None:
            row = VerificationCode(recipient_id=target.recipient_id)
            session.add(row)
        row.code_hash = hash_code(rt.subkey(CODE_KEY_PURPOSE), target.recipient_id, code)
        row.expires_at = now + limits.ttl
        row.attempts = 0
        row.sends = verdict.sends
        row.last_sent_at = now
        _queue_code_mail(session, rt, target, code, limits.ttl_minutes, now)
    return target, verdict


def _code_page(
    request: Request,
    target: LinkTarget,
    *,
    status: int = 200,
    error: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    guard = guard_of(request)
    csrf = guard.token_for(request)
    response = render(
        request,
        "verify.html",
        status=status,
        headers=headers,
        target=target,
        masked=mask_address(target.address),
        error=error,
        digits=CODE_DIGITS,
        csrf=csrf.field,
    )
    return guard.remember(response, csrf)


def _send_refused(request: Request, target: LinkTarget, verdict: SendVerdict) -> Response:
    if verdict.refusal is SendRefusal.WAIT:
        error = (
            f"A code was sent a moment ago. Please wait {verdict.retry_after} seconds "
            "before asking for another one."
        )
    else:
        minutes = -(-verdict.retry_after // 60)
        error = (
            "You asked for the most codes allowed for now. Use the last code you received, "
            f"or ask for a new one in {minutes} minutes."
        )
    headers = {"Retry-After": str(verdict.retry_after)}
    return _code_page(request, target, status=429, error=error, headers=headers)


async def send_code(request: Request) -> Response:
    token = request.path_params["token"]
    await guard_of(request).checked_form(request, start=f"/m/{token}")
    target, verdict = await run_in_threadpool(_send_code, request.app.state.rt, token)
    if target is None or verdict is None:
        raise link_not_valid()
    if not verdict.allowed:
        return _send_refused(request, target, verdict)
    return RedirectResponse(f"{target.start}/verify", status_code=303)


def _find_target(rt: Runtime, token: str) -> LinkTarget | None:
    with rt.db.begin() as session:
        return resolve_link(session, token, utcnow())


async def code_form(request: Request) -> Response:
    target = await run_in_threadpool(
        _find_target, request.app.state.rt, request.path_params["token"]
    )
    if target is None:
        raise link_not_valid()
    return _code_page(request, target)


@dataclass(frozen=True)
class _Checked:
    target: LinkTarget | None
    verdict: AttemptVerdict | None = None
    session_secret: str | None = None


def _check_code(rt: Runtime, token: str, typed: str, previous: str | None) -> _Checked:
    now = utcnow()
    limits = CodeLimits.from_settings(rt.settings.web)
    with rt.db.begin() as session:
        target = resolve_link(session, token, now)
        if target is None:
            return _Checked(None)
        row = _locked_code(session, target.recipient_id)
        expected = row.code_hash if row is not None else ""
        typed_hash = hash_code(rt.subkey(CODE_KEY_PURPOSE), target.recipient_id, typed)
        matches = hmac.compare_digest(typed_hash.encode(), expected.encode())
        verdict = decide_attempt(_state_of(row), limits, now, matches=matches)
        if row is None:
            return _Checked(target, verdict)
        if verdict.outcome is not AttemptOutcome.CORRECT:
            row.attempts = verdict.attempts
            return _Checked(target, verdict)
        session.delete(row)
        recipient = session.get(Recipient, target.recipient_id)
        if recipient is not None and recipient.opened_at is None:
            recipient.opened_at = now
        secret = open_session(
            session,
            recipient_id=target.recipient_id,
            previous=previous,
            now=now,
            ttl=timedelta(seconds=rt.settings.web.session_ttl),
        )
        return _Checked(target, verdict, secret)


_ATTEMPT_PAGES: dict[AttemptOutcome, tuple[int, str]] = {
    AttemptOutcome.NO_CODE: (400, "There is no code to check. Ask for a code first."),
    AttemptOutcome.EXPIRED: (400, "This code has expired. Ask for a new code."),
    AttemptOutcome.EXHAUSTED: (
        429,
        "Too many wrong codes. This code can no longer be used: ask for a new code.",
    ),
}


def _attempt_refused(request: Request, target: LinkTarget, verdict: AttemptVerdict) -> Response:
    if verdict.outcome is AttemptOutcome.WRONG:
        plural = "attempt" if verdict.left == 1 else "attempts"
        error = f"That code is wrong. {verdict.left} {plural} left."
        return _code_page(request, target, status=400, error=error)
    status, error = _ATTEMPT_PAGES[verdict.outcome]
    return _code_page(request, target, status=status, error=error)


async def check_code(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    token = request.path_params["token"]
    form = await guard_of(request).checked_form(request, start=f"/m/{token}")
    typed = normalise_code(str(form.get("code", "")))
    if len(typed) != CODE_DIGITS or not typed.isascii() or not typed.isdigit():
        # Not a code at all: say so, without spending an attempt on a typo.
        target = await run_in_threadpool(_find_target, rt, token)
        if target is None:
            raise link_not_valid()
        error = f"The code has {CODE_DIGITS} digits. Please type it again."
        return _code_page(request, target, status=400, error=error)
    previous = read_cookie(request, SESSION_COOKIE)
    checked = await run_in_threadpool(_check_code, rt, token, typed, previous)
    if checked.target is None or checked.verdict is None:
        raise link_not_valid()
    if checked.session_secret is None:
        return _attempt_refused(request, checked.target, checked.verdict)
    response = RedirectResponse(f"{checked.target.start}/read", status_code=303)
    set_session_cookie(response, checked.session_secret, rt.settings.web.session_ttl)
    return response

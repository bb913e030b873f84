"""Proving the address or phone with a code: send one on request, check it, open a session.

POST /m/{token}/code    make (or replace) the recipient's code and send it by mail or by SMS,
                        whichever the recipient's method says → 303 to the form
GET  /m/{token}/verify  the form to type the code into (changes nothing)
POST /m/{token}/verify  check the code; on success open a session → 303 to the message

Recipients who verify otherwise (access code, account) are sent back to their start page.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.bootstrap import Runtime
from sealgate.portal.code_mail import send_code_mail
from sealgate.portal.code_pages import code_page, send_refused
from sealgate.portal.code_rows import CODE_KEY_PURPOSE, locked_code, state_of
from sealgate.portal.code_sms import send_sms_code
from sealgate.portal.codes import (
    CODE_DIGITS,
    AttemptOutcome,
    AttemptVerdict,
    CodeLimits,
    decide_attempt,
    hash_code,
    normalise_code,
)
from sealgate.portal.cookies import SESSION_COOKIE, read_cookie, set_session_cookie
from sealgate.portal.csrf import guard_of
from sealgate.portal.link import LinkTarget, find_target, resolve_link
from sealgate.portal.methods import Proof
from sealgate.portal.opened import admit_guest
from sealgate.portal.pages import link_not_valid
from sealgate.store import utcnow

__all__ = ["CODE_KEY_PURPOSE", "check_code", "code_form", "send_code"]

# The channel a code for each proof travels by (`VerificationCode.channel`).
CHANNELS: dict[Proof, str] = {Proof.EMAIL_CODE: "email", Proof.SMS_CODE: "sms"}


async def send_code(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    token = request.path_params["token"]
    await guard_of(request).checked_form(request, start=f"/m/{token}")
    target = await run_in_threadpool(find_target, rt, token)
    if target is None:
        raise link_not_valid()
    if target.proof is Proof.SMS_CODE:
        return await send_sms_code(request, token)
    if target.proof is not Proof.EMAIL_CODE:
        return RedirectResponse(target.start, status_code=303)
    target, verdict = await run_in_threadpool(send_code_mail, rt, token)
    if target is None:
        raise link_not_valid()
    if verdict is None:
        return RedirectResponse(target.start, status_code=303)
    if not verdict.allowed:
        return send_refused(request, target, verdict)
    return RedirectResponse(f"{target.start}/verify", status_code=303)


async def code_form(request: Request) -> Response:
    target = await run_in_threadpool(
        find_target, request.app.state.rt, request.path_params["token"]
    )
    if target is None:
        raise link_not_valid()
    if target.proof not in CHANNELS:
        return RedirectResponse(target.start, status_code=303)
    return code_page(request, target)


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
        if target is None or target.proof not in CHANNELS:
            return _Checked(target)
        row = locked_code(session, target.recipient_id)
        # A code sent by another channel than the recipient's method is no code for it.
        if row is not None and row.channel != CHANNELS[target.proof]:
            row = None
        expected = row.code_hash if row is not None else ""
        typed_hash = hash_code(rt.subkey(CODE_KEY_PURPOSE), target.recipient_id, typed)
        matches = hmac.compare_digest(typed_hash.encode(), expected.encode())
        verdict = decide_attempt(state_of(row), limits, now, matches=matches)
        if row is None:
            return _Checked(target, verdict)
        if verdict.outcome is not AttemptOutcome.CORRECT:
            row.attempts = verdict.attempts
            return _Checked(target, verdict)
        session.delete(row)
        secret = admit_guest(
            session,
            target.recipient_id,
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
        return code_page(request, target, status=400, error=error)
    status, error = _ATTEMPT_PAGES[verdict.outcome]
    return code_page(request, target, status=status, error=error)


async def check_code(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    token = request.path_params["token"]
    form = await guard_of(request).checked_form(request, start=f"/m/{token}")
    typed = normalise_code(str(form.get("code", "")))
    if len(typed) != CODE_DIGITS or not typed.isascii() or not typed.isdigit():
        # Not a code at all: say so, without spending an attempt on a typo.
        target = await run_in_threadpool(find_target, rt, token)
        if target is None:
            raise link_not_valid()
        if target.proof not in CHANNELS:
            return RedirectResponse(target.start, status_code=303)
        error = f"The code has {CODE_DIGITS} digits. Please type it again."
        return code_page(request, target, status=400, error=error)
    previous = read_cookie(request, SESSION_COOKIE)
    checked = await run_in_threadpool(_check_code, rt, token, typed, previous)
    if checked.target is None:
        raise link_not_valid()
    if checked.verdict is None:
        return RedirectResponse(checked.target.start, status_code=303)
    if checked.session_secret is None:
        return _attempt_refused(request, checked.target, checked.verdict)
    response = RedirectResponse(f"{checked.target.start}/read", status_code=303)
    set_session_cookie(response, checked.session_secret, rt.settings.web.session_ttl)
    return response

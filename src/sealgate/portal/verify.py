"""Proving the address or phone with a code: send one on request, check it, open a session.

POST /m/{token}/code    make (or replace) the recipient's code and send it by mail or by SMS,
                        whichever the recipient's method says → 303 to the form
GET  /m/{token}/verify  the form to type the code into (changes nothing)
POST /m/{token}/verify  check the code; on success open a session → 303 to the message

Recipients who verify otherwise (access code, account) are sent back to their start page.
"""

from __future__ import annotations

import hmac

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.bootstrap import Runtime
from sealgate.portal.code_mail import queue_code_mail
from sealgate.portal.code_pages import code_page, send_refused
from sealgate.portal.code_rows import (
    CHANNELS,
    CODE_KEY_PURPOSE,
    CodeIssue,
    locked_code,
    state_of,
    store_new_code,
)
from sealgate.portal.code_sms import count_sms, org_wait, text_code
from sealgate.portal.codes import (
    CODE_DIGITS,
    AttemptOutcome,
    AttemptVerdict,
    CodeLimits,
    decide_attempt,
    decide_send,
    hash_code,
    normalise_code,
)
from sealgate.portal.cookies import SESSION_COOKIE, read_cookie, set_session_cookie
from sealgate.portal.csrf import guard_of
from sealgate.portal.link import LinkTarget, can_start, find_target, resolve_link
from sealgate.portal.methods import Proof
from sealgate.portal.opened import Admission, admit_guest
from sealgate.portal.pages import link_not_valid
from sealgate.store import utcnow

__all__ = ["CODE_KEY_PURPOSE", "check_code", "code_form", "send_code"]


def _issue_code(rt: Runtime, token: str) -> CodeIssue:
    """Make (or replace) the recipient's code within its limits; queue the mail or count the SMS.

    An SMS is texted only after this transaction commits (`code_sms.text_code`).
    """
    now = utcnow()
    limits = CodeLimits.from_settings(rt.settings.web)
    with rt.db.begin() as session:
        target = resolve_link(session, token, now)
        if target is None or target.proof not in CHANNELS or not can_start(target):
            return CodeIssue(target)
        row = locked_code(session, target.recipient_id)
        verdict = decide_send(state_of(row), limits, now)
        if not verdict.allowed:
            return CodeIssue(target, verdict)
        by_sms = target.proof is Proof.SMS_CODE
        if by_sms and (wait := org_wait(session, rt, target, now)):
            return CodeIssue(target, verdict, org_wait=wait)
        code = store_new_code(session, rt, row, target, limits=limits, verdict=verdict, now=now)
        if by_sms:
            send_id = count_sms(session, target, now)
            ttl = limits.ttl_minutes
            return CodeIssue(target, verdict, code=code, ttl_minutes=ttl, send_id=send_id)
        queue_code_mail(session, rt, target, code, limits.ttl_minutes, now)
        return CodeIssue(target, verdict)


async def send_code(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    token = request.path_params["token"]
    await guard_of(request).checked_form(request, start=f"/m/{token}")
    issue = await run_in_threadpool(_issue_code, rt, token)
    target = issue.target
    if target is None:
        raise link_not_valid()
    if issue.verdict is None:
        # Not (or no longer) a recipient we send codes to: its start page says what to do.
        return RedirectResponse(target.start, status_code=303)
    if not issue.verdict.allowed:
        return send_refused(request, target, issue.verdict)
    if target.proof is Proof.SMS_CODE:
        return await text_code(request, issue)
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


def _check_code(rt: Runtime, token: str, typed: str, previous: str | None) -> Admission:
    now = utcnow()
    limits = CodeLimits.from_settings(rt.settings.web)
    with rt.db.begin() as session:
        target = resolve_link(session, token, now)
        if target is None or target.proof not in CHANNELS:
            return Admission(target)
        row = locked_code(session, target.recipient_id)
        # A code sent by another channel than the recipient's method is no code for it.
        if row is not None and row.channel != CHANNELS[target.proof]:
            row = None
        expected = row.code_hash if row is not None else ""
        typed_hash = hash_code(rt.subkey(CODE_KEY_PURPOSE), target.recipient_id, typed)
        matches = hmac.compare_digest(typed_hash.encode(), expected.encode())
        verdict = decide_attempt(state_of(row), limits, now, matches=matches)
        if row is None:
            return Admission(target, verdict)
        if verdict.outcome is not AttemptOutcome.CORRECT:
            row.attempts = verdict.attempts
            return Admission(target, verdict)
        session.delete(row)
        secret = admit_guest(session, rt, target.recipient_id, previous=previous, now=now)
        return Admission(target, verdict, secret)


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

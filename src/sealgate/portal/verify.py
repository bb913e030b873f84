"""Proving the address or phone with a code: send one on request, check it, open a session.

POST /m/{token}/code    make (or replace) the recipient's code and send it by mail or by SMS,
                        whichever the recipient's method says → 303 to the form
GET  /m/{token}/verify  the form to type the code into (changes nothing)
POST /m/{token}/verify  check the code; on success open a session → 303 to the message

Every refusal of either POST answers 303 to the form with `?error=<key>` (`code_refusals`),
which words it from the database as things stand then: the back button never re-posts.

Recipients who verify otherwise (access code, account) are sent back to their start page.
"""

from __future__ import annotations

import hmac
from dataclasses import replace

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.bootstrap import Runtime
from sealgate.portal.access_log import log_admission
from sealgate.portal.code_mail import mail_language, queue_code_mail
from sealgate.portal.code_pages import code_page, send_refused
from sealgate.portal.code_refusals import (
    CodeError,
    ShownError,
    code_facts,
    refused_url,
    shown_error,
)
from sealgate.portal.code_rows import (
    CHANNELS,
    CODE_KEY_PURPOSE,
    CodeIssue,
    code_row,
    state_of,
    take_code_attempt,
    take_code_send,
)
from sealgate.portal.code_sms import take_sms_send, text_code
from sealgate.portal.codes import (
    CODE_DIGITS,
    AttemptOutcome,
    AttemptVerdict,
    CodeLimits,
    LinkCap,
    hash_code,
    judge_attempt,
    link_cap,
    normalise_code,
    refused_attempt,
)
from sealgate.portal.cookies import SESSION_COOKIE, read_cookie, set_session_cookie
from sealgate.portal.csrf import guard_of
from sealgate.portal.link import LinkTarget, can_start, find_target, resolve_link
from sealgate.portal.link_caps import link_sends, report_cap, take_link_send
from sealgate.portal.methods import Proof
from sealgate.portal.opened import Admission, admit_guest, count_verification
from sealgate.portal.pages import link_not_valid
from sealgate.portal.proof import record_code_sent, record_verified
from sealgate.portal.remember_device import (
    device_request,
    remember_this_device,
    set_remembered_cookie,
)
from sealgate.portal.remembered import DeviceRequest
from sealgate.store import utcnow

__all__ = ["CODE_KEY_PURPOSE", "check_code", "code_form", "send_code"]


class _NotSent(Exception):
    """A limit refused the send after other counters moved: roll them back, answer `issue`."""

    def __init__(self, issue: CodeIssue) -> None:
        super().__init__("code not sent")
        self.issue = issue


def _issue_code(rt: Runtime, token: str) -> CodeIssue:
    """Send (or replace) the recipient's code within its limits; queue the mail or count the SMS.

    Three counters, each one conditional UPDATE, in this order: the link's caps (a refusal
    commits only the sender's notice), the recipient's send window, the organisation's SMS
    cap; a refusal by the latter two rolls the earlier counts back. An SMS is texted only
    after this transaction commits (`code_sms.text_code`).
    """
    try:
        return _issue_code_counted(rt, token)
    except _NotSent as refused:
        return refused.issue


def _issue_code_counted(rt: Runtime, token: str) -> CodeIssue:
    now = utcnow()
    limits = CodeLimits.from_settings(rt.settings.web)
    with rt.db.begin() as session:
        target = resolve_link(session, token, now)
        if target is None or target.proof not in CHANNELS or not can_start(target):
            return CodeIssue(target)
        if not take_link_send(session, target.recipient_id, rt.settings.web, now):
            # Read after the refused UPDATE, so under its lock: the counts that refused it.
            sends = link_sends(session, target.recipient_id)
            cap = link_cap(sends, rt.settings.web, now) or LinkCap.LIFETIME
            report_cap(session, rt, target, cap, now)
            return CodeIssue(replace(target, sends=sends), link_cap=cap)
        verdict, code = take_code_send(session, rt, target, limits, now)
        if not verdict.allowed:
            raise _NotSent(CodeIssue(target, verdict))
        if target.proof is Proof.SMS_CODE:
            wait, window = take_sms_send(session, rt, target.org_id, now)
            if wait:
                raise _NotSent(CodeIssue(target, verdict, org_wait=wait))
            ttl = limits.ttl_minutes
            language = mail_language(session, target)
            return CodeIssue(
                target, verdict, code=code, ttl_minutes=ttl, sms_window=window, language=language
            )
        queue_code_mail(session, rt, target, code, limits.ttl_minutes, now)
        record_code_sent(session, target.recipient_id, "email")
        return CodeIssue(target, verdict)


async def send_code(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    token = request.path_params["token"]
    await guard_of(request).checked_form(request, start=f"/m/{token}")
    issue = await run_in_threadpool(_issue_code, rt, token)
    target = issue.target
    if target is None:
        raise link_not_valid()
    if issue.link_cap is not None:
        # The start page (a GET) answers a link whose sends are used up with its own page.
        return RedirectResponse(target.start, status_code=303)
    if issue.verdict is None:
        # Not (or no longer) a recipient we send codes to: its start page says what to do.
        return RedirectResponse(target.start, status_code=303)
    if not issue.verdict.allowed:
        return send_refused(target, issue.verdict)
    if target.proof is Proof.SMS_CODE:
        return await text_code(request, issue)
    return RedirectResponse(f"{target.start}/verify", status_code=303)


def _shown_error(rt: Runtime, target: LinkTarget, key: str) -> ShownError:
    now = utcnow()
    limits = CodeLimits.from_settings(rt.settings.web)
    with rt.db.begin() as session:
        facts = code_facts(session, target)
    return shown_error(key, facts, limits, rt.settings.sms.org_hourly_limit, now)


async def code_form(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    target = await run_in_threadpool(find_target, rt, request.path_params["token"])
    if target is None:
        raise link_not_valid()
    if target.proof not in CHANNELS:
        return RedirectResponse(target.start, status_code=303)
    key = request.query_params.get("error")
    if not key:
        return code_page(request, target)
    shown = await run_in_threadpool(_shown_error, rt, target, key)
    return code_page(
        request, target, error=shown.error, sent=shown.sent, code_waiting=shown.code_waiting
    )


def _check_code(
    rt: Runtime, token: str, typed: str, previous: str | None, device: DeviceRequest | None
) -> Admission:
    """Count the attempt first (one conditional UPDATE), then judge it against the code.

    The UPDATE is the transaction's first write, so the code row read after it is the one it
    counted against (SQLite: under the write lock; PostgreSQL: under the row lock).
    """
    now = utcnow()
    limits = CodeLimits.from_settings(rt.settings.web)
    with rt.db.begin() as session:
        target = resolve_link(session, token, now)
        if target is None or target.proof not in CHANNELS:
            return Admission(target)
        counted = take_code_attempt(session, target, limits, now)
        row = code_row(session, target.recipient_id)
        # A code sent by another channel than the recipient's method is no code for it.
        if row is not None and row.channel != CHANNELS[target.proof]:
            row = None
        if not counted or row is None:
            return Admission(target, refused_attempt(state_of(row), now))
        typed_hash = hash_code(rt.subkey(CODE_KEY_PURPOSE), target.recipient_id, typed)
        matches = hmac.compare_digest(typed_hash.encode(), row.code_hash.encode())
        verdict = judge_attempt(row.attempts, limits.attempts, matches=matches)
        if verdict.outcome is not AttemptOutcome.CORRECT:
            record_verified(session, target.recipient_id, str(verdict.outcome), left=verdict.left)
            return Admission(target, verdict)
        session.delete(row)
        secret = admit_guest(session, rt, target.recipient_id, previous=previous, now=now)
        remembered = remember_this_device(session, rt, target, device, now) if device else None
        return Admission(target, verdict, secret, remembered)


def _attempt_refused(target: LinkTarget, verdict: AttemptVerdict) -> Response:
    """303 to the form, which words the refusal (and counts the attempts left) itself."""
    return RedirectResponse(refused_url(target, CodeError(verdict.outcome.value)), status_code=303)


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
        return RedirectResponse(refused_url(target, CodeError.DIGITS), status_code=303)
    previous = read_cookie(request, SESSION_COOKIE)
    device = device_request(request, form)
    checked = await run_in_threadpool(_check_code, rt, token, typed, previous, device)
    if checked.target is None:
        raise link_not_valid()
    if checked.verdict is None:
        return RedirectResponse(checked.target.start, status_code=303)
    await log_admission(request, checked)
    count_verification(checked.target, checked.verdict.outcome)
    if checked.session_secret is None:
        return _attempt_refused(checked.target, checked.verdict)
    response = RedirectResponse(f"{checked.target.start}/read", status_code=303)
    set_session_cookie(response, checked.session_secret)
    if checked.remembered is not None:
        set_remembered_cookie(request, response, checked.remembered)
    return response

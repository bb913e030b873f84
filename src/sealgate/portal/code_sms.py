"""Sending a code by SMS, within the recipient's limits and the organisation's hourly cap.

SMS costs money, so besides the per-recipient limits of `codes.decide_send` every SMS counts
against `[sms] org_hourly_limit` for the sender's organisation (one `sms_sends` row each).
The provider is called after the code and the count are committed: an HTTP call must not
hold database locks (on SQLite that would stall every writer). If the provider refuses, the
count is given back (a refused SMS is not billed) and the guest is asked to try again; the
code row stays, so the per-recipient limits still hold across failures.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.bootstrap import Runtime
from sealgate.notify.sms import SmsError, SmsProvider, compose_code_sms
from sealgate.portal.code_pages import code_page, send_refused
from sealgate.portal.code_rows import locked_code, state_of, store_new_code
from sealgate.portal.codes import SMS_WINDOW, CodeLimits, SendVerdict, decide_send, org_sms_wait
from sealgate.portal.link import LinkTarget, can_start, resolve_link
from sealgate.portal.methods import Proof
from sealgate.portal.pages import link_not_valid
from sealgate.store import Organisation, SmsSend, utcnow

log = logging.getLogger("sealgate.portal")


@dataclass(frozen=True)
class SmsIssue:
    """The outcome of the database half of a send: a code to text, or why not."""

    target: LinkTarget | None
    verdict: SendVerdict | None = None
    org_wait: int = 0  # > 0: the organisation's hourly cap is reached, seconds to wait
    code: str = ""
    ttl_minutes: int = 0
    send_id: int | None = None


def _org_wait(session: Session, org_id: int, limit: int, now: datetime) -> int:
    # Lock the organisation so that concurrent sends for it are counted one after another.
    session.execute(select(Organisation.id).where(Organisation.id == org_id).with_for_update())
    count, oldest = session.execute(
        select(func.count(SmsSend.id), func.min(SmsSend.sent_at)).where(
            SmsSend.org_id == org_id, SmsSend.sent_at > now - SMS_WINDOW
        )
    ).one()
    return org_sms_wait(count, oldest, limit, now)


def issue_sms_code(rt: Runtime, token: str) -> SmsIssue:
    """Make (or replace) the code of an SMS-verified recipient and count the SMS."""
    now = utcnow()
    limits = CodeLimits.from_settings(rt.settings.web)
    with rt.db.begin() as session:
        target = resolve_link(session, token, now)
        if target is None or target.proof is not Proof.SMS_CODE or not can_start(target):
            return SmsIssue(target)
        row = locked_code(session, target.recipient_id)
        verdict = decide_send(state_of(row), limits, now)
        if not verdict.allowed:
            return SmsIssue(target, verdict)
        wait = _org_wait(session, target.org_id, rt.settings.sms.org_hourly_limit, now)
        if wait:
            return SmsIssue(target, verdict, org_wait=wait)
        code = store_new_code(
            session,
            rt,
            row,
            recipient_id=target.recipient_id,
            channel="sms",
            limits=limits,
            verdict=verdict,
            now=now,
        )
        send = SmsSend(org_id=target.org_id, recipient_id=target.recipient_id, sent_at=now)
        session.add(send)
        session.flush()
        return SmsIssue(target, verdict, code=code, ttl_minutes=limits.ttl_minutes, send_id=send.id)


def _text_code(provider: SmsProvider, issue: SmsIssue) -> bool:
    assert issue.target is not None
    text = compose_code_sms(
        code=issue.code,
        sender_name=issue.target.sender_name or issue.target.sender_address,
        ttl_minutes=issue.ttl_minutes,
    )
    try:
        provider.send(issue.target.phone, text)
    except SmsError as error:
        log.warning("code SMS for recipient %s not sent: %s", issue.target.recipient_id, error)
        return False
    return True


def _give_back(rt: Runtime, send_id: int) -> None:
    with rt.db.begin() as session:
        session.execute(delete(SmsSend).where(SmsSend.id == send_id))


def _org_cap_page(request: Request, target: LinkTarget, wait: int) -> Response:
    minutes = -(-wait // 60)
    error = (
        "Too many text messages were sent for this sender's organisation in the last hour. "
        f"Please try again in {minutes} minutes."
    )
    headers = {"Retry-After": str(wait)}
    return code_page(request, target, status=429, error=error, headers=headers, sent=False)


def _not_sent_page(request: Request, target: LinkTarget) -> Response:
    error = "The text message could not be sent just now. Please try again in a few minutes."
    return code_page(
        request, target, status=503, error=error, headers={"Retry-After": "60"}, sent=False
    )


async def send_sms_code(request: Request, token: str) -> Response:
    """The answer to POST /m/{token}/code for a recipient who verifies by SMS."""
    rt: Runtime = request.app.state.rt
    issue = await run_in_threadpool(issue_sms_code, rt, token)
    target = issue.target
    if target is None:
        raise link_not_valid()
    if issue.verdict is None:
        # Not (or no longer) an SMS recipient with a phone: its start page says what to do.
        return RedirectResponse(target.start, status_code=303)
    if not issue.verdict.allowed:
        return send_refused(request, target, issue.verdict)
    if issue.org_wait:
        return _org_cap_page(request, target, issue.org_wait)
    if not await run_in_threadpool(_text_code, request.app.state.sms, issue):
        assert issue.send_id is not None
        await run_in_threadpool(_give_back, rt, issue.send_id)
        return _not_sent_page(request, target)
    return RedirectResponse(f"{target.start}/verify", status_code=303)

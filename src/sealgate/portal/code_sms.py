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
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.bootstrap import Runtime
from sealgate.notify.sms import SmsError, SmsProvider, compose_code_sms
from sealgate.portal.code_pages import code_page
from sealgate.portal.code_rows import CodeIssue
from sealgate.portal.codes import SMS_WINDOW, org_sms_wait
from sealgate.portal.link import LinkTarget
from sealgate.store import Organisation, SmsSend

log = logging.getLogger("sealgate.portal")


def org_wait(session: Session, rt: Runtime, target: LinkTarget, now: datetime) -> int:
    """Seconds until the sender's organisation may send another SMS (0: now)."""
    # Lock the organisation so that concurrent sends for it are counted one after another.
    org_id = target.org_id
    session.execute(select(Organisation.id).where(Organisation.id == org_id).with_for_update())
    count, oldest = session.execute(
        select(func.count(SmsSend.id), func.min(SmsSend.sent_at)).where(
            SmsSend.org_id == org_id, SmsSend.sent_at > now - SMS_WINDOW
        )
    ).one()
    return org_sms_wait(count, oldest, rt.settings.sms.org_hourly_limit, now)


def count_sms(session: Session, target: LinkTarget, now: datetime) -> int:
    """Count one SMS against the organisation's cap; returns the `sms_sends` row id."""
    send = SmsSend(org_id=target.org_id, recipient_id=target.recipient_id, sent_at=now)
    session.add(send)
    session.flush()
    return send.id


def _text_code(provider: SmsProvider, issue: CodeIssue) -> bool:
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


async def text_code(request: Request, issue: CodeIssue) -> Response:
    """The SMS half of POST /m/{token}/code, once the code and its count are committed."""
    target = issue.target
    assert target is not None
    if issue.org_wait:
        return _org_cap_page(request, target, issue.org_wait)
    assert issue.send_id is not None
    if not await run_in_threadpool(_text_code, request.app.state.sms, issue):
        await run_in_threadpool(_give_back, request.app.state.rt, issue.send_id)
        return _not_sent_page(request, target)
    return RedirectResponse(f"{target.start}/verify", status_code=303)

"""Sending a code by SMS, within the recipient's limits and the organisation's hourly cap.

SMS costs money, so besides the per-recipient limits of the send window every SMS counts
against `[sms] org_hourly_limit` for the sender's organisation: one `sms_quotas` row per
organisation counts the SMS of a window of one hour that starts with its first SMS, changed
by ONE conditional UPDATE (`sends < :limit`, or the window is over and starts again at 1), so
parallel sends cannot pass the cap together. The provider is called after the code and the
count are committed: an HTTP call must not hold database locks (on SQLite that would stall
every writer). If the provider refuses, the count is given back (a refused SMS is not billed)
and the guest is asked to try again; the code row stays, so the per-recipient limits still
hold across failures.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.bootstrap import Runtime
from sealgate.notify import SmsError, SmsProvider, compose_code_sms
from sealgate.portal.code_refusals import CodeError, refused_url
from sealgate.portal.code_rows import CodeIssue
from sealgate.portal.codes import SMS_WINDOW, org_sms_wait
from sealgate.portal.link import LinkTarget
from sealgate.portal.proof import record_code_sent
from sealgate.store import SmsQuota, insert_missing

log = logging.getLogger("sealgate.portal")


def take_sms_send(
    session: Session, rt: Runtime, org_id: int, now: datetime
) -> tuple[int, datetime | None]:
    """Count one SMS against the organisation's cap: (0, its window) or (seconds to wait, None)."""
    limit = rt.settings.sms.org_hourly_limit
    insert_missing(session, SmsQuota, org_id=org_id, window_started_at=now, sends=0)
    row = SmsQuota
    new_window = row.window_started_at <= now - SMS_WINDOW
    counted = session.execute(
        update(row)
        .where(row.org_id == org_id, or_(new_window, row.sends < limit))
        .values(
            sends=case((new_window, 1), else_=row.sends + 1),
            window_started_at=case((new_window, now), else_=row.window_started_at),
        )
        .execution_options(synchronize_session=False)
    )
    started = session.scalar(select(row.window_started_at).where(row.org_id == org_id))
    if int(counted.rowcount):  # type: ignore[attr-defined]
        return 0, started
    return org_sms_wait(started, now), None


def _text_code(provider: SmsProvider, issue: CodeIssue) -> bool:
    assert issue.target is not None
    text = compose_code_sms(
        code=issue.code,
        sender_name=issue.target.sender_name or issue.target.sender_address,
        ttl_minutes=issue.ttl_minutes,
        language=issue.language,
    )
    try:
        provider.send(issue.target.phone, text)
    except SmsError as error:
        log.warning("code SMS for recipient %s not sent: %s", issue.target.recipient_id, error)
        return False
    return True


def _record_texted(rt: Runtime, recipient_id: str) -> None:
    """The provider took the SMS: evidence of its own (the code was committed before)."""
    with rt.db.begin() as session:
        record_code_sent(session, recipient_id, "sms")


def _give_back(rt: Runtime, org_id: int, window: datetime) -> None:
    """The provider refused: this SMS does not count (if its window is still the current one)."""
    with rt.db.begin() as session:
        session.execute(
            update(SmsQuota)
            .where(
                SmsQuota.org_id == org_id,
                SmsQuota.window_started_at == window,
                SmsQuota.sends > 0,
            )
            .values(sends=SmsQuota.sends - 1)
        )


def _org_cap_page(target: LinkTarget, wait: int) -> Response:
    """303 to the form, which words the organisation's wait from its SMS window."""
    url = refused_url(target, CodeError.SMS_CAP)
    return RedirectResponse(url, status_code=303, headers={"Retry-After": str(wait)})


def _not_sent_page(target: LinkTarget) -> Response:
    url = refused_url(target, CodeError.SMS_FAILED)
    return RedirectResponse(url, status_code=303, headers={"Retry-After": "60"})


async def text_code(request: Request, issue: CodeIssue) -> Response:
    """The SMS half of POST /m/{token}/code, once the code and its count are committed."""
    target = issue.target
    assert target is not None
    if issue.org_wait:
        return _org_cap_page(target, issue.org_wait)
    assert issue.sms_window is not None
    if not await run_in_threadpool(_text_code, request.app.state.sms, issue):
        await run_in_threadpool(_give_back, request.app.state.rt, target.org_id, issue.sms_window)
        return _not_sent_page(target)
    await run_in_threadpool(_record_texted, request.app.state.rt, target.recipient_id)
    return RedirectResponse(f"{target.start}/verify", status_code=303)

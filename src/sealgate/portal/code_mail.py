"""Sending a code by mail: store the code and queue the code mail in one transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.delivery.queue import enqueue
from sealgate.notify import compose_code_mail
from sealgate.portal.code_rows import locked_code, state_of, store_new_code
from sealgate.portal.codes import CodeLimits, SendVerdict, decide_send
from sealgate.portal.link import LinkTarget, resolve_link
from sealgate.portal.methods import Proof
from sealgate.store import utcnow

CODE_MAIL_EXPIRY = timedelta(minutes=10)


def system_from(rt: Runtime) -> str:
    delivery = rt.settings.delivery
    return delivery.system_from or f"noreply@{delivery.helo_name}"


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


def send_code_mail(rt: Runtime, token: str) -> tuple[LinkTarget | None, SendVerdict | None]:
    """Make (or replace) the code of a mail-verified recipient and queue the code mail.

    Returns the link's target (None: not a valid link) and the send verdict (None: this
    recipient does not verify by mail, so nothing was sent).
    """
    now = utcnow()
    limits = CodeLimits.from_settings(rt.settings.web)
    with rt.db.begin() as session:
        target = resolve_link(session, token, now)
        if target is None or target.proof is not Proof.EMAIL_CODE:
            return target, None
        row = locked_code(session, target.recipient_id)
        verdict = decide_send(state_of(row), limits, now)
        if not verdict.allowed:
            return target, verdict
        code = store_new_code(
            session,
            rt,
            row,
            recipient_id=target.recipient_id,
            channel="email",
            limits=limits,
            verdict=verdict,
            now=now,
        )
        _queue_code_mail(session, rt, target, code, limits.ttl_minutes, now)
    return target, verdict

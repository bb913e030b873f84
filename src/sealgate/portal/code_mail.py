"""Sending a code by mail: queue the code mail in the transaction that stored the code."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.delivery import enqueue
from sealgate.notify import compose_code_mail
from sealgate.portal.link import LinkTarget

CODE_MAIL_EXPIRY = timedelta(minutes=10)


def queue_code_mail(
    session: Session, rt: Runtime, target: LinkTarget, code: str, ttl_minutes: int, now: datetime
) -> None:
    """Put the mail with `code` for the link's recipient on the outbound queue (kind `code`)."""
    sender = rt.settings.delivery.sender
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

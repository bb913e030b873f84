"""Sending a code by mail: queue the code mail in the transaction that stored the code."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.delivery import enqueue
from sealgate.directory import brand_of, org_language
from sealgate.intake import stored_language
from sealgate.notify import MailBrand, compose_code_mail
from sealgate.portal.link import LinkTarget
from sealgate.store import Message, Recipient

CODE_MAIL_EXPIRY = timedelta(minutes=10)


def mail_language(session: Session, target: LinkTarget) -> str:
    """The language of the mails for this link's recipient: the message's `sealgate-language`
    header, else the organisation's default."""
    stored = session.scalar(
        select(Message.control_headers)
        .join(Recipient, Recipient.message_id == Message.id)
        .where(Recipient.id == target.recipient_id)
    )
    return stored_language(stored or {}) or org_language(session, target.org_id)


def queue_code_mail(
    session: Session, rt: Runtime, target: LinkTarget, code: str, ttl_minutes: int, now: datetime
) -> None:
    """Put the mail with `code` for the link's recipient on the outbound queue (kind `code`)."""
    sender = rt.settings.delivery.sender
    brand = brand_of(session, target.org_id)
    mail = compose_code_mail(
        language=mail_language(session, target),
        recipient=target.address,
        code=code,
        sender_name=target.sender_name,
        sender_address=target.sender_address,
        system_from=sender,
        ttl_minutes=ttl_minutes,
        now=now,
        org_name=brand.name,
        brand=MailBrand(brand.support, brand.footer, brand.accent),
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

"""Caps on the codes one link may send, and the one mail that tells the sender.

A link lives `link_ttl_days` (90); with 3 sends of 5 attempts per code window it could take
about 2,000 guesses a day. So a link (all codes for one recipient, by mail or SMS) sends at
most `[web] code_sends_per_day` codes in any 24 hours counted from the first of them, and
`code_sends_per_link` in its life. Past either cap the link page asks the recipient to contact
the sender, and the sender gets one short mail (`sender_told_at`, set once by a conditional
UPDATE) through the outbound queue: who could not open which message when, no content.

The count is one conditional UPDATE of the recipient row (`take_link_send`); its WHERE holds
both caps, so parallel sends cannot pass them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from textwrap import fill
from typing import Any

from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.config import WebSettings
from sealgate.delivery import enqueue
from sealgate.directory import org_language
from sealgate.locale import _, current_language, use_language
from sealgate.mail import domain_key
from sealgate.portal.codes import LINK_DAY, LinkCap, LinkSends
from sealgate.portal.link import LinkTarget
from sealgate.store import Message, Recipient

NOTICE_EXPIRY = timedelta(days=2)


def take_link_send(session: Session, recipient_id: str, web: WebSettings, now: datetime) -> bool:
    """Count one code sent for the link, if both caps allow it; False: a cap is reached."""
    row = Recipient
    new_day = or_(row.code_day_started_at.is_(None), row.code_day_started_at <= now - LINK_DAY)
    counted = session.execute(
        update(row)
        .where(
            row.id == recipient_id,
            row.code_sends_total < web.code_sends_per_link,
            or_(new_day, row.code_sends_day < web.code_sends_per_day),
        )
        .values(
            code_sends_total=row.code_sends_total + 1,
            code_sends_day=case((new_day, 1), else_=row.code_sends_day + 1),
            code_day_started_at=case((new_day, now), else_=row.code_day_started_at),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(_rowcount(counted))


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def link_sends(session: Session, recipient_id: str) -> LinkSends:
    """The link's counters as this transaction sees them."""
    row = session.execute(
        select(
            Recipient.code_sends_total, Recipient.code_sends_day, Recipient.code_day_started_at
        ).where(Recipient.id == recipient_id)
    ).one()
    return LinkSends(row[0], row[1], row[2])


def report_cap(
    session: Session, rt: Runtime, target: LinkTarget, cap: LinkCap, now: datetime
) -> None:
    """The link reached `cap`: tell the sender, once per link, by a mail on the queue."""
    told = session.execute(
        update(Recipient)
        .where(Recipient.id == target.recipient_id, Recipient.sender_told_at.is_(None))
        .values(sender_told_at=now)
        .execution_options(synchronize_session=False)
    )
    if not _rowcount(told):
        return
    sent_at = session.scalar(
        select(Message.created_at)
        .join(Recipient, Recipient.message_id == Message.id)
        .where(Recipient.id == target.recipient_id)
    )
    with use_language(org_language(session, target.org_id)):
        mail = compose_cap_notice(target, rt.settings.delivery.sender, sent_at or now, cap, now)
    enqueue(
        session,
        rt.vault,
        kind="notice",
        mail=mail,
        mail_from="",  # like a DSN: a notice that cannot be delivered reports to nobody
        rcpt_to=target.sender_address,
        now=now,
        expiry=NOTICE_EXPIRY,
        recipient_id=target.recipient_id,
    )


def compose_cap_notice(
    target: LinkTarget, system_from: str, sent_at: datetime, cap: LinkCap, now: datetime
) -> EmailMessage:
    """The sender's notice: which recipient, which message (by date), why; no content.

    Written in the current language (the caller chooses the organisation's default).
    """
    mail = EmailMessage()
    mail["From"] = system_from
    mail["To"] = target.sender_address
    mail["Subject"] = _("A recipient could not get a code for your secure message")
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = make_msgid(domain=domain_key(system_from) or None)
    mail["Auto-Submitted"] = "auto-generated"
    values = {"recipient": target.address, "sent": format_datetime(sent_at)}
    if cap is LinkCap.DAY:
        why = _(
            "The link for %(recipient)s to your secure message of %(sent)s asked for more "
            "verification codes in one day than allowed, so it sends no more codes for now.",
            **values,
        )
    else:
        why = _(
            "The link for %(recipient)s to your secure message of %(sent)s asked for the most "
            "verification codes its link may send, so it sends no more codes.",
            **values,
        )
    advice = _(
        "The recipient was asked to contact you. If they did not ask for these codes, someone "
        "else may be trying to open the message. To let them read it, send the message again."
    )
    once = _("This mail was sent once for this recipient and will not repeat.")
    mail.set_content("\n\n".join(fill(paragraph, 72) for paragraph in (why, advice, once)) + "\n")
    mail["Content-Language"] = current_language()
    return mail

"""Sending an account link: a new single-use token, and its mail on the outbound queue.

Used by the CLI (`account add` without a password, `account reset-password`) and by the
portal ("forgot password", "send me an invitation"). The mail is queued in the caller's
transaction, like a code mail: it goes out through the delivery worker with its retries,
never from here, and exists only if the token row was committed with it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.delivery import enqueue
from sealgate.directory import LinkPurpose, brand_of, issue_account_link
from sealgate.notify import MailBrand, compose_account_mail
from sealgate.store import Account, JobKind, Organisation

log = logging.getLogger("sealgate.portal")

# A link mail undelivered after this long is of no use: the link itself may have expired.
ACCOUNT_MAIL_EXPIRY = timedelta(days=1)


@dataclass(frozen=True)
class AccountLinkSent:
    link: str  # the whole URL with its secret: shown only by `account add --print-link`
    expires_at: datetime


def link_ttl(rt: Runtime, purpose: LinkPurpose) -> timedelta:
    settings = rt.settings.accounts
    if purpose is LinkPurpose.INVITE:
        return timedelta(hours=settings.invite_ttl_hours)
    return timedelta(minutes=settings.reset_ttl_minutes)


def send_account_link(
    session: Session,
    rt: Runtime,
    account_id: int,
    purpose: LinkPurpose,
    now: datetime,
    recipient_id: str | None = None,
) -> AccountLinkSent:
    """Issue a link for the account and queue its mail (kind `account`).

    A reset for an account that never had a password is an invitation: its words fit.
    """
    account = session.get(Account, account_id)
    assert account is not None, "the caller found the account"
    if purpose is LinkPurpose.RESET and not account.password_hash:
        purpose = LinkPurpose.INVITE
    org = session.get(Organisation, account.org_id)
    assert org is not None
    token, expires_at = issue_account_link(
        session, account.id, purpose, now, link_ttl(rt, purpose), recipient_id
    )
    link = f"{rt.settings.web.base_url}/account/{token}"
    sender = rt.settings.delivery.sender
    brand = brand_of(session, org.id)
    mail = compose_account_mail(
        purpose=purpose.value,
        recipient=account.email,
        display_name=account.display_name,
        org_name=brand.name,
        brand=MailBrand(brand.support, brand.footer, brand.accent),
        link=link,
        expires_at=expires_at,
        system_from=sender,
        now=now,
    )
    enqueue(
        session,
        rt.vault,
        kind=JobKind.ACCOUNT,
        mail=mail,
        mail_from=sender,
        rcpt_to=account.email,
        now=now,
        expiry=ACCOUNT_MAIL_EXPIRY,
    )
    # Audit hook: ids only, never the address or the link.
    log.info("account.link_queued purpose=%s account_id=%d", purpose.value, account.id)
    return AccountLinkSent(link, expires_at)

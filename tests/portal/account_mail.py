"""Account-link mails for tests: read them back from the outbound queue, as the person would."""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.delivery import queued_mail
from sealgate.store import OutboundJob

_LINK = re.compile(r"https?://[^/\s]+(/account/[A-Za-z0-9_-]{43})\b")


def account_mails(rt: Runtime, address: str) -> list[EmailMessage]:
    """The invitation and reset mails queued for `address`, oldest first."""
    with rt.db.begin() as session:
        jobs = session.scalars(
            select(OutboundJob)
            .where(OutboundJob.kind == "account", OutboundJob.rcpt_to == address)
            .order_by(OutboundJob.created_at, OutboundJob.id)
        ).all()
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(queued_mail(rt.vault, job)) for job in jobs]  # type: ignore[misc]


def link_path(mail: EmailMessage) -> str:
    """/account/<token> from the mail's text part."""
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    match = _LINK.search(body.get_content())
    assert match, "no account link in the mail"
    return match.group(1)


def latest_link(rt: Runtime, address: str) -> str:
    mails = account_mails(rt, address)
    assert mails, f"no account mail queued for {address}"
    return link_path(mails[-1])

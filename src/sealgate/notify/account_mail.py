"""Compose the mails that carry an account link: an invitation, or a password reset.

The mail names the organisation (the person must know who invites them), says until when
the link works, and carries the link itself; the link's token exists in the clear only
inside this (sealed, queued) mail.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from sealgate.locale import N_, _, long_when
from sealgate.notify.brand import MailBrand
from sealgate.notify.compose import _address, _base, _render

SUBJECTS = {
    "invite": N_("%(org)s: set up your account for secure mail"),
    "reset": N_("%(org)s: choose a new password"),
}


def compose_account_mail(
    *,
    purpose: str,
    recipient: str,
    display_name: str,
    org_name: str,
    link: str,
    expires_at: datetime,
    system_from: str,
    now: datetime,
    brand: MailBrand | None = None,
) -> EmailMessage:
    """The invitation (`purpose` "invite") or reset ("reset") mail to an account's address,
    in the current language (`use_language`): the portal request's, else English. `org_name`
    is the name the organisation shows; `brand` adds its support line and footer."""
    mail = _base(
        from_=_address(org_name, system_from),
        sender=None,
        to=recipient,
        subject=_(SUBJECTS[purpose], org=org_name),
        now=now,
    )
    return _render(
        mail,
        f"account_{purpose}",
        brand or MailBrand(),
        org_name,
        name=display_name,
        email=recipient,
        org=org_name,
        link=link,
        expires=long_when(expires_at),
    )

"""Compose the "new device" mail: a browser was remembered for the recipient's address.

A recipient who ticks "remember this device" lets that browser open their secure messages
from the organisation without a code for some days. If it was not them (someone else at a
shared computer, or someone with their mailbox), this mail is how they find out. It names
the organisation, the time and the browser (its user agent family, never the whole string),
and carries no message content, no subject and no link: nothing to click in a mail that
says "someone may be reading your messages".
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from sealgate.locale import _, long_when, use_language
from sealgate.notify.brand import MailBrand
from sealgate.notify.compose import _address, _base, _render


def compose_device_mail(
    *,
    recipient: str,
    org_name: str,
    browser: str,
    system: str,
    days: int,
    system_from: str,
    now: datetime,
    language: str | None = None,
    brand: MailBrand | None = None,
) -> EmailMessage:
    """The mail to `recipient` that a browser (`browser` on `system`, e.g. "Firefox",
    "Windows"; "" when unknown) was remembered at `now` (naive UTC) for `days` days, in
    `language` (English when None); `org_name` is the name the organisation shows, and
    `brand` adds its support line and footer."""
    with use_language(language):
        if browser and system:
            named = _("%(browser)s on %(system)s", browser=browser, system=system)
        else:
            named = browser or system or _("a browser we do not recognise")
        mail = _base(
            from_=_address(org_name, system_from),
            sender=None,
            to=recipient,
            subject=_("%(org)s: a new device can open your secure messages", org=org_name),
            now=now,
        )
        return _render(
            mail,
            "device",
            brand or MailBrand(),
            org_name,
            org=org_name,
            email=recipient,
            browser=named,
            days=days,
            when=long_when(now),
        )

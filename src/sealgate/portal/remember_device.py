""" "Remember this device": remembering a browser after a proof, and opening with it later.

After a correct code or access code, `remember_this_device` (in the transaction that opened
the session) makes the row (remembered.py), queues the "new device" mail to the recipient
(no content: the organisation, the time, the browser family) and records
`portal.device.remember` in the audit trail. The mail goes once per remembered browser: a
browser already remembered skips the proof, so it is never asked again while its row lives.

`admit_remembered` is the other half: a browser without a session opens the read page, its
device cookie matches a live row for this link, and it gets a session as if it had proved
itself; the evidence says `verified` with `via` "remembered_device", and the audit trail
`portal.device.used`. A locked access code stays locked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from sealgate.bootstrap import Runtime
from sealgate.delivery import enqueue
from sealgate.directory import brand_of
from sealgate.notify import MailBrand, compose_device_mail
from sealgate.portal.access_log import client_of, record_portal
from sealgate.portal.browsers import browser_family
from sealgate.portal.code_mail import mail_language
from sealgate.portal.cookies import DEVICE_COOKIE, read_cookie, set_device_cookie
from sealgate.portal.link import LinkTarget
from sealgate.portal.opened import mark_opened
from sealgate.portal.proof import record_verified
from sealgate.portal.remembered import (
    REMEMBERED_PROOFS,
    DeviceRequest,
    Remembered,
    add_remembered_device,
    live_device,
    mark_used,
)
from sealgate.portal.sessions import Lifetime, open_session

DEVICE_MAIL_EXPIRY = timedelta(days=1)
# The verification forms' checkbox.
REMEMBER_FIELD = "remember_device"


def device_request(request: Request, form: FormData) -> DeviceRequest | None:
    """What remembering this browser needs, when the guest ticked the box (else None)."""
    if form.get(REMEMBER_FIELD) != "yes":
        return None
    return DeviceRequest(
        user_agent=request.headers.get("user-agent", ""),
        previous=read_cookie(request, DEVICE_COOKIE),
        client=client_of(request),
    )


def set_remembered_cookie(request: Request, response: Response, remembered: Remembered) -> None:
    """The device cookie, Secure when the portal is reached (or published) over https."""
    web = request.app.state.rt.settings.web
    secure = request.url.scheme == "https" or web.base_url.startswith("https://")
    set_device_cookie(response, remembered.secret, max_age=remembered.max_age, secure=secure)


def remember_this_device(
    session: Session, rt: Runtime, target: LinkTarget, device: DeviceRequest, now: datetime
) -> Remembered | None:
    """Remember the browser for the link's address, if its organisation allows it now."""
    days = target.remember_days
    if days is None or target.proof not in REMEMBERED_PROOFS:
        return None
    browser, system = browser_family(device.user_agent)
    secret = add_remembered_device(
        session,
        address=target.address,
        org_id=target.org_id,
        proof=target.proof.value,
        browser=" on ".join(part for part in (browser, system) if part),
        days=days,
        previous=device.previous,
        now=now,
    )
    brand = brand_of(session, target.org_id)
    system_from = rt.settings.delivery.sender
    mail = compose_device_mail(
        recipient=target.address,
        org_name=brand.name,
        brand=MailBrand(brand.support, brand.footer, brand.accent),
        browser=browser,
        system=system,
        days=days,
        system_from=system_from,
        now=now,
        language=mail_language(session, target),
    )
    enqueue(
        session,
        rt.vault,
        kind="notice",
        mail=mail,
        mail_from=system_from,
        rcpt_to=target.address,
        now=now,
        expiry=DEVICE_MAIL_EXPIRY,
        recipient_id=target.recipient_id,
    )
    record_portal(
        session,
        "portal.device.remember",
        f"guest:{target.address}",
        device.client,
        org_id=target.org_id,
        target=target.recipient_id,
        details={"days": days, "proof": target.proof.value, "browser": browser or "unknown"},
    )
    return Remembered(secret, days)


def admit_remembered(
    session: Session,
    rt: Runtime,
    target: LinkTarget,
    secret: str | None,
    *,
    previous: str | None,
    client: str | None,
    now: datetime,
) -> str | None:
    """A session for a remembered browser (its secret for the cookie), or None."""
    row_id = live_device(session, target, secret, now)
    if row_id is None:
        return None
    mark_used(session, row_id, now)
    mark_opened(session, target.recipient_id, now)
    record_verified(session, target.recipient_id, "ok", via="remembered_device")
    record_portal(
        session,
        "portal.device.used",
        f"guest:{target.address}",
        client,
        org_id=target.org_id,
        target=target.recipient_id,
        details={"proof": target.proof.value},
    )
    lifetime = Lifetime.of(rt.settings.web)
    return open_session(
        session, recipient_id=target.recipient_id, previous=previous, now=now, lifetime=lifetime
    )

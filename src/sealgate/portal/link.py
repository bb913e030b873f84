"""The link from the notification: resolve its token, and the page it opens.

GET /m/{token} shows who sent the message and to which (partly masked) address, and the one
way in that the recipient's method allows: "Send me a code" (by mail or by SMS to a masked
number), the access-code form with the sender's hint, or the account login. It changes
nothing: mail scanners fetch links before people do, so no code is sent, nothing is marked
opened and nothing is consumed until the guest POSTs. A browser remembered for the address
(remembered.py) is sent on to the read page, which opens its session. A refused access code
or login comes back here with `?error=<key>` (`form_errors`), worded from the database now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.bootstrap import Runtime
from sealgate.directory import has_account, is_set_up, remember_device_days
from sealgate.mail import Address, AddressError, address_key
from sealgate.notify import hash_token
from sealgate.portal.codes import ACCESS_CODE_ATTEMPTS, LinkSends, link_cap
from sealgate.portal.cookies import DEVICE_COOKIE, SESSION_COOKIE, read_cookie
from sealgate.portal.csrf import render_form
from sealgate.portal.form_errors import LoginError, access_code_error, login_error
from sealgate.portal.methods import DIRECT_METHODS, Proof, mask_phone, proof_for
from sealgate.portal.pages import access_code_locked, link_capped, link_not_valid
from sealgate.portal.remembered import live_device
from sealgate.portal.sessions import Lifetime, session_reader
from sealgate.portal.throttle import locked_for
from sealgate.portal.withdrawn import refuse_closed
from sealgate.store import LinkToken, Message, Recipient, utcnow

# Our tokens are 43 characters of base64url; anything much longer is not one of them.
_MAX_TOKEN_LENGTH = 100


@dataclass(frozen=True)
class LinkTarget:
    """What a valid link points at: one recipient of one message."""

    token: str
    recipient_id: str
    address: str
    sender_name: str
    sender_address: str
    content_blob_id: str
    org_id: int
    proof: Proof
    phone: str  # E.164, for the SMS methods
    access_code_hint: str
    has_access_code: bool
    access_code_attempts: int
    sends: LinkSends  # the codes sent for this link so far (link_caps.py)
    # An account without a password yet: the start page offers an invitation, not a login.
    account_pending: bool = False
    # When sealgate accepted the message (naive UTC): the read page's date without a Date.
    accepted_at: datetime | None = None
    # Days the organisation lets a browser be remembered (remembered.py); None: not allowed.
    remember_days: int | None = None

    @property
    def start(self) -> str:
        return f"/m/{self.token}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone else ""

    @property
    def sender_shown(self) -> str:
        if self.sender_name:
            return f"{self.sender_name} <{self.sender_address}>"
        return self.sender_address


def resolve_link(session: Session, token: str, now: datetime) -> LinkTarget | None:
    """The target of an unexpired link, or None; looked up by hash, so no timing oracle.

    Raises `LinkClosed` (410) when the sender withdrew the recipient's link or it expired,
    or when retention deleted the message's content: then even a link past its own lifetime
    says so, rather than that it is not valid.
    """
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    row = session.execute(
        select(Recipient, Message, LinkToken.expires_at)
        .join(LinkToken, LinkToken.recipient_id == Recipient.id)
        .join(Message, Message.id == Recipient.message_id)
        .where(LinkToken.token_hash == hash_token(token))
    ).first()
    if row is None:
        return None
    recipient, message, link_expires_at = row
    if message.content_deleted_at is not None:
        refuse_closed(session, None, None, message.org_id, now, message.content_deleted_at)
    if link_expires_at <= now:
        return None
    # Checked on every request that resolves the link, downloads included (withdrawn.py).
    refuse_closed(session, recipient.revoked_at, recipient.expires_at, message.org_id, now)
    # For direct methods the account is looked up when the link opens: an account made
    # since then logs in, a disabled one falls back to the mailed code.
    proof = proof_for(
        recipient.method,
        has_account=recipient.method in DIRECT_METHODS and has_account(session, recipient.address),
    )
    return LinkTarget(
        token=token,
        recipient_id=recipient.id,
        address=recipient.address,
        sender_name=message.sender_name,
        sender_address=message.sender_address,
        content_blob_id=message.content_blob_id,
        org_id=message.org_id,
        proof=proof,
        phone=recipient.phone,
        access_code_hint=recipient.access_code_hint,
        has_access_code=bool(recipient.access_code_hash),
        access_code_attempts=recipient.access_code_attempts,
        sends=LinkSends(
            recipient.code_sends_total, recipient.code_sends_day, recipient.code_day_started_at
        ),
        account_pending=proof is Proof.ACCOUNT and not is_set_up(session, recipient.address),
        accepted_at=message.created_at,
        remember_days=remember_device_days(session, message.org_id),
    )


def find_target(rt: Runtime, token: str) -> LinkTarget | None:
    """`resolve_link` in a transaction of its own (for flows that only need to look)."""
    with rt.db.begin() as session:
        return resolve_link(session, token, utcnow())


def mask_address(address: str) -> str:
    """j***n@example.org: enough for the guest to recognise, little for anyone else."""
    try:
        parsed = Address.parse(address)
    except AddressError:
        local, at, domain = address, "", ""
    else:
        local, at, domain = parsed.local, "@", parsed.written_domain
    if len(local) <= 2:
        shown = local[:1] + "*" * max(1, len(local) - 1)
    else:
        shown = f"{local[0]}***{local[-1]}"
    return f"{shown}{at}{domain}"


def can_start(target: LinkTarget) -> bool:
    """Whether the recipient row holds what its method checks against (a phone, a code hash).

    A row without it cannot be opened here; it must not quietly fall back to a weaker proof.
    """
    if target.proof is Proof.SMS_CODE:
        return bool(target.phone)
    if target.proof is Proof.ACCESS_CODE:
        return target.has_access_code
    return True


@dataclass(frozen=True)
class _Landing:
    target: LinkTarget | None
    signed_in: bool = False
    remembered: bool = False  # no session, but a remembered browser (remembered.py)
    lock_wait: int = 0  # seconds the recipient's address stays locked for logins (throttle.py)


def _landing(
    rt: Runtime, token: str, cookie: str | None, device: str | None, error: str
) -> _Landing:
    now = utcnow()
    with rt.db.begin() as session:
        target = resolve_link(session, token, now)
        if target is None:
            return _Landing(None)
        reader = session_reader(session, cookie, now, Lifetime.of(rt.settings.web))
        if reader is not None and reader.may_read(target.recipient_id, target.address):
            return _Landing(target, signed_in=True)
        remembered = live_device(session, target, device, now) is not None
        wait = 0
        if error == LoginError.LOCKED and target.proof is Proof.ACCOUNT:
            wait = locked_for(session, address_key(target.address), now)
        return _Landing(target, remembered=remembered, lock_wait=wait)


def _start_error(landing: _Landing, key: str) -> str | None:
    """The start page's words for the refusal `key` of its own form (none for others)."""
    target = landing.target
    if not key or target is None or landing.signed_in:
        return None
    if target.proof is Proof.ACCESS_CODE:
        return access_code_error(key, target.access_code_attempts)
    if target.proof is Proof.ACCOUNT and not target.account_pending:
        return login_error(key, landing.lock_wait)
    return None


def start_page(
    request: Request,
    target: LinkTarget,
    *,
    signed_in: bool = False,
    status: int = 200,
    error: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The link's start page: the way in for this recipient's method, or the message."""
    return render_form(
        request,
        "link.html",
        status=status,
        headers=headers,
        target=target,
        masked=mask_address(target.address),
        signed_in=signed_in,
        proof=target.proof.value,
        can_start=can_start(target),
        error=error,
    )


async def landing_page(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    token = request.path_params["token"]
    error = request.query_params.get("error", "")
    landing = await run_in_threadpool(
        _landing,
        rt,
        token,
        read_cookie(request, SESSION_COOKIE),
        read_cookie(request, DEVICE_COOKIE),
        error,
    )
    target = landing.target
    if target is None:
        raise link_not_valid()
    if landing.remembered:
        # A remembered browser skips the proof: the read page opens its session.
        return RedirectResponse(f"{target.start}/read", status_code=303)
    if not landing.signed_in:
        refuse_spent_link(rt, target)
    return start_page(
        request, target, signed_in=landing.signed_in, error=_start_error(landing, error)
    )


def refuse_spent_link(rt: Runtime, target: LinkTarget) -> None:
    """Raise the page for a link that can no longer be opened by its method (429)."""
    locked = target.access_code_attempts >= ACCESS_CODE_ATTEMPTS
    if target.proof is Proof.ACCESS_CODE and locked:
        raise access_code_locked()
    if target.proof in (Proof.EMAIL_CODE, Proof.SMS_CODE):
        now = utcnow()
        cap = link_cap(target.sends, rt.settings.web, now)
        if cap is not None:
            raise link_capped(target.sender_shown, cap, target.sends.day_started_at, now)

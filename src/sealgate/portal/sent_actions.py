"""The sender withdraws, reopens or sets the expiry of its own message's links.

POST /sent/{id}/revoke     [recipient=<recipient id>]  withdraw one link, or all of them
POST /sent/{id}/unrevoke   [recipient=<recipient id>]  reopen one link, or all of them
POST /sent/{id}/expiry     expires_on=YYYY-MM-DD | clear=1  when all links stop opening
GET  /sent/{id}/everyone   asks to confirm withdrawing for everyone (cannot be undone)
POST /sent/{id}/everyone   confirm=yes  withdraw for every recipient and hide it here too

Every form is CSRF-checked and answers 303 back to the message (POST-redirect-GET). The
changes are made by the directory functions `sealgate message revoke|unrevoke|expire` use,
so each one is also an event of the proof of delivery, `by` the account; each is recorded in
the audit trail (`portal.revoke`, `portal.unrevoke`, `portal.expire`, `portal.revoke_everyone`)
in the same transaction. A directly delivered copy cannot be withdrawn: naming one is
refused (409), and withdrawing all skips it, as in the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.directory import (
    LinkChange,
    RevocationError,
    revoke_links,
    set_expiry,
    unrevoke_links,
)
from sealgate.intake import ExpiryError, parse_expiry_time
from sealgate.locale import _
from sealgate.portal.access_log import client_of, record_portal
from sealgate.portal.csrf import guard_of, render_form
from sealgate.portal.pages import Refusal
from sealgate.portal.sent import for_sender, to_login
from sealgate.portal.sent_rows import owned_message
from sealgate.portal.sessions import Reader
from sealgate.store import Message, Recipient, utcnow

# A change: (session, message, address or None, the actor) -> what it did.
Change = Callable[[Session, Message, str | None, str], LinkChange]


def _not_a_recipient() -> Refusal:
    return Refusal(400, _("Not possible here"), _("This recipient is not one of the message."))


def _cannot_change(start: str) -> Refusal:
    return Refusal(
        409,
        _("This cannot be changed"),
        _(
            "The message was delivered directly into the recipient's own mailbox, or it was "
            "withdrawn for everyone. Such a copy cannot be withdrawn or reopened."
        ),
        start=start,
    )


def _bad_date(start: str) -> Refusal:
    return Refusal(
        400, _("Not a valid date"), _("Choose a date in the future for the expiry."), start=start
    )


def _address(session: Session, message: Message, form: FormData) -> str | None:
    """The address of the recipient the form names, or None for the whole message."""
    recipient_id = form.get("recipient") or None
    if recipient_id is None:
        return None
    if not isinstance(recipient_id, str):
        raise _not_a_recipient()
    address = session.scalar(
        select(Recipient.address).where(
            Recipient.id == recipient_id, Recipient.message_id == message.id
        )
    )
    if address is None:
        raise _not_a_recipient()
    return address


async def _apply(
    request: Request, action: str, change: Change, *, done: str, back: str | None = None
) -> Response:
    """Check the form, make the change as the account, audit it, and redirect."""
    message_id = request.path_params["message_id"]
    start = f"/sent/{message_id}"
    form = await guard_of(request).checked_form(request, start=start)
    client = client_of(request)

    def work(session: Session, reader: Reader) -> None:
        message = owned_message(session, reader, message_id)
        address = _address(session, message, form)
        actor = f"account:{reader.account_email}"
        try:
            made = change(session, message, address, actor)
        except RevocationError:
            raise _cannot_change(start) from None
        record_portal(
            session,
            f"portal.{action}",
            actor,
            client,
            org_id=message.org_id,
            target=message_id,
            details={
                "recipient": form.get("recipient") or None,
                "changed": len(made.changed),
                "skipped": len(made.skipped),
            },
        )

    try:
        await for_sender(request, work)
    except Refusal as refusal:
        return to_login(refusal)
    return RedirectResponse(f"{back or start}?done={done}", status_code=303)


async def revoke(request: Request) -> Response:
    def change(session: Session, message: Message, address: str | None, by: str) -> LinkChange:
        return revoke_links(session, message.id, utcnow(), address=address, by=by)

    return await _apply(request, "revoke", change, done="revoked")


async def unrevoke(request: Request) -> Response:
    def change(session: Session, message: Message, address: str | None, by: str) -> LinkChange:
        return unrevoke_links(session, message.id, address=address, by=by)

    return await _apply(request, "unrevoke", change, done="unrevoked")


def _expires_at(form: FormData, start: str) -> datetime | None:
    """The expiry the form asks for (None: clear it); a date must lie in the future."""
    if form.get("clear"):
        return None
    text = form.get("expires_on")
    if not isinstance(text, str) or len(text.strip()) != len("2026-12-31"):
        raise _bad_date(start)
    try:
        when = parse_expiry_time(text)
    except ExpiryError:
        raise _bad_date(start) from None
    if when <= utcnow():
        raise _bad_date(start)
    return when


async def expiry(request: Request) -> Response:
    start = f"/sent/{request.path_params['message_id']}"
    # Checked here before the date is read; `_apply` reads the same (cached) form again.
    expires_at = _expires_at(await guard_of(request).checked_form(request, start), start)

    def change(session: Session, message: Message, address: str | None, by: str) -> LinkChange:
        return set_expiry(session, message.id, expires_at, address=address, by=by)

    return await _apply(request, "expire", change, done="expiry")


async def everyone_form(request: Request) -> Response:
    """The confirmation page: it names what cannot be undone, and nothing else happens."""
    message_id = request.path_params["message_id"]

    def check(session: Session, reader: Reader) -> None:
        owned_message(session, reader, message_id)

    try:
        await for_sender(request, check)
    except Refusal as refusal:
        return to_login(refusal)
    return render_form(request, "sent_everyone.html", message_id=message_id)


async def revoke_everyone(request: Request) -> Response:
    start = f"/sent/{request.path_params['message_id']}"
    form = await guard_of(request).checked_form(request, start)
    if form.get("confirm") != "yes":
        raise Refusal(
            400,
            _("Please confirm"),
            _("Tick the box to confirm that the message is withdrawn for everyone."),
            start=f"{start}/everyone",
        )

    def change(session: Session, message: Message, address: str | None, by: str) -> LinkChange:
        if address is not None:
            raise _not_a_recipient()
        return revoke_links(session, message.id, utcnow(), everyone=True, by=by)

    return await _apply(request, "revoke_everyone", change, done="everyone", back="/sent")

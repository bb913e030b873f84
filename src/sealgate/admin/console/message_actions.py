"""What an admin does to one message's links, from its page: the API's and CLI's changes.

POST /admin/messages/{id}/revoke     (recipient: one address, or none for all) withdraw the
                                     links (`revoke_links`); audit `message.revoke`
POST /admin/messages/{id}/unrevoke   (recipient or none) reopen them (`unrevoke_links`);
                                     audit `message.unrevoke`
POST /admin/messages/{id}/expire     (recipient or none; days, or never=1) when the links
                                     expire (`set_expiry`); audit `message.expire`
POST /admin/messages/{id}/unlock     (recipient) reset its lockout (`unlock_recipient`, the
                                     helpdesk's `recipients.unlock`); audit `message.unlock`
POST /admin/messages/{id}/resend     (recipient) a new notification with a new link
                                     (`route.resend_notification`, `recipients.resend`);
                                     audit `message.resend`

Revoke, unrevoke and expire need `messages.revoke`. Each change and its audit entry commit
in one transaction; then 303 to the message page with `done`, or a refusal's sentence on
that page (400). A message of an organisation the roles do not reach is 403.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.admin.console.access import NotFound
from sealgate.admin.console.messages import find_message, message_page
from sealgate.admin.console.pages import client_of, field, posted_form
from sealgate.admin.console.sessions import Admin
from sealgate.admin.roles import Capability
from sealgate.audit import record
from sealgate.bootstrap import Runtime
from sealgate.directory import (
    DirectoryError,
    revoke_links,
    set_expiry,
    unlock_recipient,
    unrevoke_links,
)
from sealgate.route import resend_notification
from sealgate.store import Message, Organisation, utcnow

# The longest expiry a form may set, in days (ten years).
MAX_DAYS = 3650


@dataclass(frozen=True)
class Asked:
    """The form of one action: who acts, on which recipient (None: all), and its fields."""

    rt: Runtime
    by: str
    recipient: str | None
    fields: Mapping[str, str]


def _need(asked: Asked) -> str:
    if asked.recipient is None:
        raise DirectoryError("choose a recipient")
    return asked.recipient


def _links(change: Any, done: str) -> dict[str, Any]:
    return {
        done: [state.address for state in change.changed],
        "skipped": [skipped for skipped, _why in change.skipped],
    }


def _revoke(session: Session, message: Message, asked: Asked) -> dict[str, Any]:
    change = revoke_links(session, message.id, utcnow(), address=asked.recipient, by=asked.by)
    return _links(change, "revoked")


def _unrevoke(session: Session, message: Message, asked: Asked) -> dict[str, Any]:
    change = unrevoke_links(session, message.id, address=asked.recipient, by=asked.by)
    return _links(change, "reopened")


def _expire(session: Session, message: Message, asked: Asked) -> dict[str, Any]:
    expires_at = None
    if asked.fields.get("never") != "1":
        days = asked.fields.get("days", "")
        if not days.isascii() or not days.isdigit() or not 0 < int(days) <= MAX_DAYS:
            raise DirectoryError(f"type the days as a whole number from 1 to {MAX_DAYS}")
        expires_at = utcnow() + timedelta(days=int(days))
    change = set_expiry(session, message.id, expires_at, address=asked.recipient, by=asked.by)
    at = None if expires_at is None else expires_at.isoformat() + "Z"
    return {"expires_at": at, **_links(change, "changed")}


def _unlock(session: Session, message: Message, asked: Asked) -> dict[str, Any]:
    sends = asked.rt.settings.web.code_sends_per_link
    result = unlock_recipient(session, message.id, _need(asked), sends_per_link=sends)
    value = result.to_json()
    return {"before": value["before"], "lifetime_cap_reached": result.lifetime_cap_reached}


def _resend(session: Session, message: Message, asked: Asked) -> dict[str, Any]:
    resent = resend_notification(session, asked.rt, message.id, _need(asked), utcnow())
    return {"job_id": resent.job_id}


Changer = Callable[[Session, Message, Asked], dict[str, Any]]

ACTIONS: dict[str, tuple[Capability, str, Changer]] = {
    "revoke": (Capability.MESSAGES_REVOKE, "revoked", _revoke),
    "unrevoke": (Capability.MESSAGES_REVOKE, "unrevoked", _unrevoke),
    "expire": (Capability.MESSAGES_REVOKE, "expiry", _expire),
    "unlock": (Capability.RECIPIENTS_UNLOCK, "unlocked", _unlock),
    "resend": (Capability.RECIPIENTS_RESEND, "resent", _resend),
}


def _act(
    rt: Runtime, admin: Admin, ident: str, verb: str, asked: Asked, client: str | None
) -> str | None:
    """Run the action with its audit entry; the refusal's sentence, or None when done."""
    capability, _done, change = ACTIONS[verb]
    try:
        with rt.db.begin() as session:
            message = find_message(session, admin, ident, capability)
            details = change(session, message, asked)
            record(
                session,
                f"message.{verb}",
                admin.principal.actor,
                organisation=session.get_one(Organisation, message.org_id).name,
                target=message.id,
                client=client,
                details={"recipient": asked.recipient, **details},
            )
    except DirectoryError as exc:
        return str(exc)
    return None


async def message_action(request: Request, admin: Admin) -> Response:
    verb = str(request.path_params["action"])
    if verb not in ACTIONS:
        raise NotFound(verb)
    ident = str(request.path_params["message_id"])[:64]
    form = await posted_form(request)
    rt: Runtime = request.app.state.rt
    fields = {name: field(form, name, 16) for name in ("days", "never")}
    asked = Asked(rt, admin.principal.actor, field(form, "recipient") or None, fields)
    refused = await run_in_threadpool(_act, rt, admin, ident, verb, asked, client_of(request))
    if refused is not None:
        return await message_page(request, admin, error=refused)
    return RedirectResponse(f"/admin/messages/{ident}?done={ACTIONS[verb][1]}", status_code=303)


__all__ = ["ACTIONS", "message_action"]

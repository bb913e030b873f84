"""Messages: search, show (metadata, per-recipient status and decision trace), revoke,
unrevoke, expire, unlock a recipient and resend its notification (helpdesk), and the
evidence chain; never a subject or a body.

A message is found by its id or its submission's id, as `sealgate message show` takes it;
one of an organisation the token cannot reach is 404.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sealgate.admin.api.endpoint import Call, iso
from sealgate.admin.api.errors import ApiError, invalid
from sealgate.admin.api.pagination import decode_cursor, encode_cursor
from sealgate.admin.api.times import parse_time
from sealgate.directory import (
    describe,
    find_message,
    revoke_links,
    set_expiry,
    unlock_recipient,
    unrevoke_links,
)
from sealgate.evidence import first_broken, head, load, to_json
from sealgate.route import resend_notification
from sealgate.store import Message, Organisation, list_messages, utcnow


def _before(cursor: str | None) -> tuple[datetime, str] | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        at, last_id = key
        return datetime.fromisoformat(str(at).removesuffix("Z")), str(last_id)
    except (TypeError, ValueError):
        raise ApiError(400, "invalid_cursor", "the cursor belongs to another listing") from None


def search_messages(call: Call) -> dict[str, Any]:
    q = call.query
    found = list_messages(
        call.session,
        sender=q.sender,
        recipient=q.recipient,
        since=parse_time(q.since, "since"),
        until=parse_time(q.until, "until"),
        state=q.state,
        limit=q.limit + 1,
        org_ids=call.scope(),
        before=_before(q.cursor),
    )
    shown = found[: q.limit]
    items = [
        {
            "id": item.id,
            "submission_id": item.submission_id,
            "sender": item.sender,
            "subject": None,
            "received_at": iso(item.received_at),
            "recipients": list(item.recipients),
            "in_reply_to": item.in_reply_to,
        }
        for item in shown
    ]
    last = shown[-1] if shown else None
    more = len(found) > q.limit and last is not None
    cursor = encode_cursor([last.received_at.isoformat(), last.id]) if more and last else None
    return {"items": items, "next_cursor": cursor}


def _message(call: Call) -> Message:
    ident = call.path["message_id"]
    message = find_message(call.session, ident)
    call.visible(message.org_id, f"no message or submission with id {ident!r}")
    call.org_name = call.session.get_one(Organisation, message.org_id).name
    call.target = message.id
    return message


def show_message(call: Call) -> dict[str, Any]:
    return describe(call.session, _message(call))


def revoke_message(call: Call) -> dict[str, Any]:
    message = _message(call)
    change = revoke_links(
        call.session,
        message.id,
        utcnow(),
        address=call.body.recipient,
        everyone=call.body.everyone,
        by=call.principal.actor,
    )
    return change.to_json()


def unrevoke_message(call: Call) -> dict[str, Any]:
    message = _message(call)
    change = unrevoke_links(
        call.session, message.id, address=call.body.recipient, by=call.principal.actor
    )
    return change.to_json()


def _expiry(body: Any, now: datetime) -> datetime | None:
    given = [body.at is not None, body.in_days is not None, body.never]
    if sum(given) != 1:
        raise invalid("give exactly one of at, in_days and never")
    if body.in_days is not None:
        return now + timedelta(days=body.in_days)
    if body.at is not None:
        when = parse_time(body.at, "at")
        if when is None or when <= now:
            raise invalid(f"at: {body.at} lies in the past")
        return when
    return None


def expire_message(call: Call) -> dict[str, Any]:
    message = _message(call)
    expires_at = _expiry(call.body, utcnow())
    change = set_expiry(
        call.session, message.id, expires_at, address=call.body.recipient, by=call.principal.actor
    )
    return change.to_json()


def unlock_message_recipient(call: Call) -> dict[str, Any]:
    """Reset a recipient's lockout (directory/lockouts.py: the lifetime cap stays)."""
    message = _message(call)
    result = unlock_recipient(
        call.session,
        message.id,
        call.body.recipient,
        sends_per_link=call.rt.settings.web.code_sends_per_link,
    )
    value = result.to_json()
    call.details = {"before": value["before"], "lifetime_cap_reached": result.lifetime_cap_reached}
    return value


def resend_message_notification(call: Call) -> dict[str, Any]:
    """A new notification for one recipient (route/resend.py: only while its link is open)."""
    message = _message(call)
    resent = resend_notification(call.session, call.rt, message.id, call.body.recipient, utcnow())
    call.details = {"job_id": resent.job_id}
    return resent.to_json()


def message_evidence(call: Call) -> dict[str, Any]:
    message = _message(call)
    events = load(call.session, message.id)
    # Viewing evidence is an access NEN 7513 wants logged.
    call.wrote = True
    return {
        "message_id": message.id,
        "head": head(events),
        "events": [to_json(event) for event in events],
    }


def verify_evidence(call: Call) -> dict[str, Any]:
    message = _message(call)
    events = load(call.session, message.id)
    broken = first_broken(events)
    return {
        "message_id": message.id,
        "intact": broken is None,
        "events": len(events),
        "head": head(events),
        "broken": None if broken is None else {"seq": broken.seq, "kind": broken.kind},
    }

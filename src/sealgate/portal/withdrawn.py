"""The page of a link its sender withdrew, that expired or whose content retention deleted:
410, no content, no subject.

Every way into a message (the link and each of its sub-routes, and an account's inbox
addresses) resolves its recipient row on every request and asks `refuse_closed`, so a
revocation or an expiry takes effect at the very next request, downloads included: nothing
is decided once at log-in and remembered. The page names the organisation the message came
from, so the recipient knows whom to ask, and nothing of the message itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from sealgate.directory import CONTENT_DELETED, REVOKED, LinkClosure, link_closure
from sealgate.locale import long_when
from sealgate.portal.pages import render
from sealgate.store import Organisation


class LinkClosed(Exception):
    """The recipient's link was withdrawn or expired; the app renders `withdrawn.html` (410)."""

    def __init__(self, closure: LinkClosure, org_name: str) -> None:
        super().__init__(closure.reason)
        self.closure = closure
        self.org_name = org_name


def refuse_closed(
    session: Session,
    revoked_at: datetime | None,
    expires_at: datetime | None,
    org_id: int,
    now: datetime,
    content_deleted_at: datetime | None = None,
) -> None:
    """Raise `LinkClosed` when a recipient with these times may no longer read (at `now`),
    or when its message's content was deleted (`content_deleted_at`)."""
    closure = link_closure(revoked_at, expires_at, now, content_deleted_at)
    if closure is not None:
        raise LinkClosed(closure, session.get_one(Organisation, org_id).name)


def shown_date(moment: datetime) -> str:
    """3 December 2026, 10:15 UTC: the way the page names a naive UTC time, in its language."""
    return long_when(moment)


async def closed_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LinkClosed)
    return render(
        request,
        "withdrawn.html",
        status=410,
        withdrawn=exc.closure.reason == REVOKED,
        deleted=exc.closure.reason == CONTENT_DELETED,
        date=shown_date(exc.closure.since),
        iso=exc.closure.since.isoformat() + "Z",
        org=exc.org_name,
    )

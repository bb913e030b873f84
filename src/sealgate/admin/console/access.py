"""Who may see a console page: the logged-in admin of the request, and their reach.

Every console endpoint is wrapped by `console_page`: without a live admin session it goes to
/admin/login; with one, the handler runs with the `Admin` and calls `require(admin, cap,
org_id)` (`Principal.may`) before it reads or changes anything, so a refusal is a 403 page
that shows nothing of the organisation asked about. Pages that act on one organisation take
it from `?org=` (or the form's `org`) among those the capability reaches; the default is
the admin's own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.admin.console.pages import forbidden, not_found
from sealgate.admin.console.sessions import ADMIN_COOKIE, Admin, admin_behind
from sealgate.admin.roles import Capability
from sealgate.bootstrap import Runtime
from sealgate.portal import Lifetime, read_cookie
from sealgate.store import Organisation, utcnow

Handler = Callable[[Request, Admin], Awaitable[Response]]


class Forbidden(Exception):
    """The admin's roles do not carry the capability for that organisation."""


class NotFound(Exception):
    """No such thing (or none the admin may know of)."""


@dataclass(frozen=True)
class Org:
    id: int
    name: str


def require(admin: Admin, capability: Capability, org_id: int | None) -> None:
    if not admin.principal.may(capability, org_id):
        raise Forbidden(capability)


def orgs_within(session: Session, admin: Admin, capability: Capability) -> list[Org]:
    """The organisations `capability` reaches for this admin, by name."""
    scope = admin.principal.org_scope(capability)
    query = select(Organisation.id, Organisation.name).order_by(Organisation.name)
    if scope is not None:
        query = query.where(Organisation.id.in_(sorted(scope)))
    return [Org(org_id, name) for org_id, name in session.execute(query)]


def chosen_org(session: Session, admin: Admin, capability: Capability, name: str | None) -> Org:
    """The organisation a page acts on: `name` if given (and reached), else the admin's own,
    else the first one reached; Forbidden when none is."""
    reached = orgs_within(session, admin, capability)
    if name:
        for org in reached:
            if org.name == name:
                return org
        raise Forbidden(capability)
    for org in reached:
        if org.id == admin.org_id:
            return org
    if not reached:
        raise Forbidden(capability)
    return reached[0]


def reached_org(rt: Runtime, admin: Admin, capability: Capability, name: str | None) -> Org:
    """`chosen_org` in a transaction of its own, for a form's `org` field."""
    with rt.db.begin() as session:
        return chosen_org(session, admin, capability, name or None)


def org_listing(
    session: Session, admin: Admin, capability: Capability, name: str | None
) -> dict[str, Any]:
    """What every per-organisation page starts with: the organisation shown and the ones
    its choice offers (org_choice.html)."""
    return {
        "org": chosen_org(session, admin, capability, name),
        "orgs": orgs_within(session, admin, capability),
    }


def _admin_of(rt: Runtime, secret: str | None) -> Admin | None:
    with rt.db.begin() as session:
        return admin_behind(session, secret, utcnow(), Lifetime.of(rt.settings.web))


def console_page(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint for `handler`: the admin session checked, refusals as pages."""

    async def endpoint(request: Request) -> Response:
        rt: Runtime = request.app.state.rt
        admin = await run_in_threadpool(_admin_of, rt, read_cookie(request, ADMIN_COOKIE))
        if admin is None:
            return RedirectResponse("/admin/login", status_code=303)
        try:
            return await handler(request, admin)
        except Forbidden:
            return forbidden(request, admin=admin)
        except NotFound:
            return not_found(request, admin=admin)

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint

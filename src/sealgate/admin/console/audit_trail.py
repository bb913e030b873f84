"""The audit trail in the console: the newest entries by filter, and verifying the chain.

GET /admin/audit?action=&actor=&since=   the newest entries (at most 200), newest first;
                                         `action` a name or dotted prefix, `actor` as
                                         "kind:who" or a bare kind, `since` a date
GET /admin/audit/verify                  `audit verify`: recompute the chain, name the
                                         first broken entry (changes nothing)

Both need `audit.read`. An organisation's auditor sees the entries recorded for its
organisation; the operator sees all of them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sealgate.admin.console.access import Forbidden
from sealgate.admin.console.pages import render
from sealgate.admin.console.sessions import Admin
from sealgate.admin.roles import Capability
from sealgate.audit import AuditEntry, Verification, entries, verify
from sealgate.bootstrap import Runtime
from sealgate.locale import _
from sealgate.store import Organisation

LIMIT = 200


def _since(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _entries(rt: Runtime, admin: Admin, filters: dict[str, str]) -> list[AuditEntry]:
    scope = admin.principal.org_scope(Capability.AUDIT_READ)
    if scope is not None and not scope:
        raise Forbidden(Capability.AUDIT_READ)
    found: list[AuditEntry] = []
    with rt.db.begin() as session:
        names = None
        if scope is not None:
            names = set(
                session.scalars(select(Organisation.name).where(Organisation.id.in_(sorted(scope))))
            )
        for entry in entries(
            session,
            since=_since(filters["since"]),
            action=filters["action"] or None,
            actor=filters["actor"] or None,
        ):
            if names is not None and entry.organisation not in names:
                continue
            found.append(entry)
            if len(found) > LIMIT:
                del found[0]
    return list(reversed(found))


async def audit_page(request: Request, admin: Admin) -> Response:
    query = request.query_params
    filters = {name: query.get(name, "").strip()[:200] for name in ("action", "actor", "since")}
    error = None
    if filters["since"] and _since(filters["since"]) is None:
        filters["since"] = ""
        error = _("Type the date as YYYY-MM-DD.")
    found = await run_in_threadpool(_entries, request.app.state.rt, admin, filters)
    return render(
        request,
        "audit.html",
        status=400 if error else 200,
        admin=admin,
        filters=filters,
        found=found,
        error=error,
        limit=LIMIT,
    )


def _verify(rt: Runtime, admin: Admin) -> Verification:
    scope = admin.principal.org_scope(Capability.AUDIT_READ)
    if scope is not None and not scope:
        raise Forbidden(Capability.AUDIT_READ)
    with rt.db.begin() as session:
        return verify(session)


async def verify_page(request: Request, admin: Admin) -> Response:
    result = await run_in_threadpool(_verify, request.app.state.rt, admin)
    return render(
        request,
        "audit_verify.html",
        status=200 if result.intact else 409,
        admin=admin,
        result=result,
    )

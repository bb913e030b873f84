"""The audit trail in the console: the newest entries by filter, and verifying the chain.

GET /admin/audit?action=&actor=&since=   the newest entries (at most 200), newest first;
                                         `action` a name or dotted prefix, `actor` as
                                         "kind:who" or a bare kind, `since` a date
GET /admin/audit/verify                  `audit verify`: recompute the chain, name the
                                         first broken entry (changes nothing)
GET /admin/audit/export?format=jsonl|csv&since=&until=
                                         the entries as a download (`audit export`'s
                                         `write_export`), oldest first; `since` and
                                         `until` dates, both days included; the export
                                         is itself recorded (`audit.export`)

All need `audit.read`. An organisation's auditor sees the entries recorded for its
organisation; the operator sees all of them.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sealgate.admin.console.access import Forbidden
from sealgate.admin.console.pages import client_of, render
from sealgate.admin.console.sessions import Admin
from sealgate.admin.roles import Capability
from sealgate.audit import AuditEntry, Verification, entries, record, verify, write_export
from sealgate.bootstrap import Runtime
from sealgate.locale import _
from sealgate.store import Organisation

LIMIT = 200
EXPORT_MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


def _since(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _names(session: Session, admin: Admin) -> set[str] | None:
    """The organisations whose entries the admin sees; None: all (the operator)."""
    scope = admin.principal.org_scope(Capability.AUDIT_READ)
    if scope is not None and not scope:
        raise Forbidden(Capability.AUDIT_READ)
    if scope is None:
        return None
    query = select(Organisation.name).where(Organisation.id.in_(sorted(scope)))
    return set(session.scalars(query))


def _entries(rt: Runtime, admin: Admin, filters: dict[str, str]) -> list[AuditEntry]:
    found: list[AuditEntry] = []
    with rt.db.begin() as session:
        for entry in entries(
            session,
            since=_since(filters["since"]),
            action=filters["action"] or None,
            actor=filters["actor"] or None,
            organisations=_names(session, admin),
        ):
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
    with rt.db.begin() as session:
        _names(session, admin)
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


def _export(rt: Runtime, admin: Admin, form: str, span: tuple[str, str], client: str | None) -> str:
    since, until = _since(span[0]), _since(span[1])
    stream = io.StringIO()
    with rt.db.begin() as session:
        found = entries(
            session,
            since=since,
            until=until + timedelta(days=1) if until is not None else None,
            organisations=_names(session, admin),
        )
        written = write_export(stream, form, found)
        record(
            session,
            "audit.export",
            admin.principal.actor,
            client=client,
            details={"exported": written, "format": form, "since": span[0], "until": span[1]},
        )
    return stream.getvalue()


async def export_download(request: Request, admin: Admin) -> Response:
    query = request.query_params
    form = query.get("format", "jsonl")
    span = (query.get("since", "").strip()[:10], query.get("until", "").strip()[:10])
    if form not in EXPORT_MEDIA or any(day and _since(day) is None for day in span):
        filters = {"action": "", "actor": "", "since": ""}
        found = await run_in_threadpool(_entries, request.app.state.rt, admin, filters)
        error = _("Choose JSON lines or CSV, and type the dates as YYYY-MM-DD.")
        return render(
            request,
            "audit.html",
            status=400,
            admin=admin,
            filters=filters,
            found=found,
            error=error,
            limit=LIMIT,
        )
    rt: Runtime = request.app.state.rt
    text = await run_in_threadpool(_export, rt, admin, form, span, client_of(request))
    return Response(
        text,
        media_type=EXPORT_MEDIA[form],
        headers={"Content-Disposition": f'attachment; filename="audit.{form}"'},
    )

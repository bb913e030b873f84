"""The organisation's shared contact book: list, add, remove.

GET  /admin/contacts?org=NAME    the entries (never an access code: only its hint)
POST /admin/contacts             (org, recipient, kind sms|access_code, phone | access_code,
                                 hint) as `contacts add`; audit `contacts.add` (the kind,
                                 never the code)
POST /admin/contacts/remove      (org, recipient, kind) as `contacts remove`
GET  /admin/contacts/export?org=NAME[&excel=1]   the shared book as a CSV download in the
                                 import's columns, never an access code
                                 (`export_contacts_csv`, as `contacts export`); an access
                                 to personal data, so audited (`contacts.export`)

Reading needs `contacts.read`, changing `contacts.write`, for the organisation.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.admin.console.access import Org, org_listing, reached_org
from sealgate.admin.console.mutations import Change, Rollback, apply
from sealgate.admin.console.pages import client_of, field, posted_form, render
from sealgate.admin.console.sessions import Admin
from sealgate.admin.roles import Capability
from sealgate.audit import record
from sealgate.bootstrap import Runtime
from sealgate.directory import add_contact, export_contacts_csv, list_contacts, remove_contact
from sealgate.locale import _

KINDS = ("sms", "access_code")
WRITE = Capability.CONTACTS_WRITE


def _listing(rt: Runtime, admin: Admin, org_name: str | None) -> dict[str, Any]:
    with rt.db.begin() as session:
        listing = org_listing(session, admin, Capability.CONTACTS_READ, org_name)
        return {**listing, "contacts": list_contacts(session, listing["org"].name)}


async def contacts_page(
    request: Request, admin: Admin, *, error: str | None = None, org_name: str | None = None
) -> Response:
    chosen = org_name or request.query_params.get("org")
    listing = await run_in_threadpool(_listing, request.app.state.rt, admin, chosen)
    org = listing["org"]
    assert isinstance(org, Org)
    done = request.query_params.get("done", "")
    sentences = {
        "added": _("The contact was saved."),
        "removed": _("The contact was removed."),
        "imported": _("The accepted rows were imported."),
    }
    return render(
        request,
        "contacts.html",
        status=400 if error else 200,
        admin=admin,
        error=error,
        done=sentences.get(done),
        may_write=admin.principal.may(Capability.CONTACTS_WRITE, org.id),
        **listing,
    )


def _back(org: Org, done: str) -> Response:
    query = urlencode({"org": org.name, "done": done})
    return RedirectResponse(f"/admin/contacts?{query}", status_code=303)


async def add_contact_entry(request: Request, admin: Admin) -> Response:
    form = await posted_form(request)
    rt: Runtime = request.app.state.rt
    org = await run_in_threadpool(reached_org, rt, admin, WRITE, field(form, "org", 200))
    recipient, kind = field(form, "recipient"), field(form, "kind", 16)
    phone, hint = field(form, "phone", 64), field(form, "hint", 200)
    code = field(form, "access_code", 200)

    def change(session: Session) -> Change:
        if kind not in KINDS:
            raise Rollback("choose SMS or access code")
        entry = add_contact(
            session,
            org.name,
            recipient,
            phone=phone if kind == "sms" else None,
            access_code=code if kind == "access_code" else None,
            hint=hint if kind == "access_code" else "",
            default_region=rt.settings.policy.default_phone_region,
        )
        return Change(entry.address, {"kind": entry.kind})

    refused = await run_in_threadpool(
        apply,
        rt,
        admin,
        request,
        "contacts.add",
        Capability.CONTACTS_WRITE,
        (org.id, org.name),
        change,
    )
    if refused is not None:
        return await contacts_page(request, admin, error=refused, org_name=org.name)
    return _back(org, "added")


async def remove_contact_entry(request: Request, admin: Admin) -> Response:
    form = await posted_form(request)
    rt: Runtime = request.app.state.rt
    org = await run_in_threadpool(reached_org, rt, admin, WRITE, field(form, "org", 200))
    recipient, kind = field(form, "recipient"), field(form, "kind", 16)

    def change(session: Session) -> Change:
        removed = remove_contact(session, org.name, recipient, kind=kind if kind in KINDS else None)
        return Change(recipient, {"kind": kind or None, "removed": removed})

    refused = await run_in_threadpool(
        apply,
        rt,
        admin,
        request,
        "contacts.remove",
        Capability.CONTACTS_WRITE,
        (org.id, org.name),
        change,
    )
    if refused is not None:
        return await contacts_page(request, admin, error=refused, org_name=org.name)
    return _back(org, "removed")


def _export(
    rt: Runtime, admin: Admin, org_name: str | None, excel: bool, client: str | None
) -> tuple[Org, str]:
    with rt.db.begin() as session:
        org = org_listing(session, admin, Capability.CONTACTS_READ, org_name)["org"]
        text = export_contacts_csv(session, org.name, excel=excel)
        record(
            session,
            "contacts.export",
            admin.principal.actor,
            organisation=org.name,
            target=org.name,
            client=client,
            details={"rows": text.count("\r\n") - 1, "excel": excel},
        )
        return org, text


async def export_contacts(request: Request, admin: Admin) -> Response:
    query = request.query_params
    rt: Runtime = request.app.state.rt
    excel = query.get("excel") == "1"
    org, text = await run_in_threadpool(
        _export, rt, admin, query.get("org"), excel, client_of(request)
    )
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="contacts-{org.id}.csv"'},
    )

"""Importing a contacts CSV (Zivver's columns) into the shared book: upload, report, confirm.

GET  /admin/contacts/import?org=NAME    the upload form
POST /admin/contacts/import             (org, file ≤ 1 MiB) keeps the file sealed in the admin
                                        session (`pending_import`); nothing is written to the
                                        book; 303 to the report
GET  /admin/contacts/import/report      every row checked (`plan_contacts_import`): accepted
                                        (add or update) or rejected with its reason; a
                                        reload checks again and still writes nothing
POST /admin/contacts/import/confirm     the accepted rows written (`apply_contacts_import`)
                                        in one transaction with the audit entry
                                        `contacts.import` (counts and lines, never a code);
                                        the sealed file is dropped; 303 to the contacts
POST /admin/contacts/import/cancel      drop the file

The planner and writer are the directory's (`sealgate contacts import` uses them too).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.admin.console.access import Org, chosen_org
from sealgate.admin.console.mutations import Change, Rollback, apply
from sealgate.admin.console.pages import field, posted_form, render
from sealgate.admin.console.sessions import (
    FLASH_KEY_PURPOSE,
    Admin,
    pending_import,
    set_pending_import,
)
from sealgate.admin.roles import Capability
from sealgate.bootstrap import Runtime
from sealgate.directory import (
    ContactsImportPlan,
    DirectoryError,
    apply_contacts_import,
    plan_contacts_import,
)
from sealgate.locale import _

MAX_BYTES = 1024 * 1024


def _reached(rt: Runtime, admin: Admin, org_name: str | None) -> Org:
    with rt.db.begin() as session:
        return chosen_org(session, admin, Capability.CONTACTS_WRITE, org_name or None)


async def import_form(request: Request, admin: Admin) -> Response:
    org = await run_in_threadpool(
        _reached, request.app.state.rt, admin, request.query_params.get("org")
    )
    return render(request, "contacts_import.html", admin=admin, org=org)


async def _read_upload(upload: object) -> str | None:
    if not isinstance(upload, UploadFile):
        return None
    data = await upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _keep(rt: Runtime, admin: Admin, org: Org, text: str) -> None:
    with rt.db.begin() as session:
        value = json.dumps({"org": org.name, "csv": text})
        set_pending_import(session, rt.subkey(FLASH_KEY_PURPOSE), admin.session_id, value)


async def upload_contacts(request: Request, admin: Admin) -> Response:
    form = await posted_form(request, files=1)
    rt: Runtime = request.app.state.rt
    org = await run_in_threadpool(_reached, rt, admin, field(form, "org", 200))
    text = await _read_upload(form.get("file"))
    if text is None:
        error = _("Choose a CSV file in UTF-8 of at most 1 MB.")
        return render(
            request, "contacts_import.html", status=400, admin=admin, org=org, error=error
        )
    await run_in_threadpool(_keep, rt, admin, org, text)
    return RedirectResponse("/admin/contacts/import/report", status_code=303)


def _pending(session: Session, rt: Runtime, admin: Admin) -> tuple[str, str] | None:
    stored = pending_import(session, rt.subkey(FLASH_KEY_PURPOSE), admin.session_id)
    if stored is None:
        return None
    value = json.loads(stored)
    return str(value["org"]), str(value["csv"])


def _plan(rt: Runtime, admin: Admin) -> tuple[Org, ContactsImportPlan] | str | None:
    """The report of the waiting file; None: no file waits; a string: the file is unreadable."""
    with rt.db.begin() as session:
        pending = _pending(session, rt, admin)
        if pending is None:
            return None
        org = chosen_org(session, admin, Capability.CONTACTS_WRITE, pending[0])
        region = rt.settings.policy.default_phone_region
        try:
            return org, plan_contacts_import(session, org.name, pending[1], default_region=region)
        except DirectoryError as exc:
            return str(exc)


async def import_report(request: Request, admin: Admin) -> Response:
    planned = await run_in_threadpool(_plan, request.app.state.rt, admin)
    if planned is None:
        return RedirectResponse("/admin/contacts/import", status_code=303)
    if isinstance(planned, str):
        return render(
            request,
            "contacts_import_report.html",
            status=400,
            admin=admin,
            error=planned,
            plan=None,
        )
    org, plan = planned
    return render(request, "contacts_import_report.html", admin=admin, org=org, plan=plan)


async def confirm_import(request: Request, admin: Admin) -> Response:
    await posted_form(request)
    rt: Runtime = request.app.state.rt
    planned = await run_in_threadpool(_plan, rt, admin)
    if planned is None or isinstance(planned, str):
        return RedirectResponse("/admin/contacts/import/report", status_code=303)
    org, _plan_seen = planned
    key = rt.subkey(FLASH_KEY_PURPOSE)

    def change(session: Session) -> Change:
        pending = _pending(session, rt, admin)
        if pending is None:
            raise Rollback("the file was imported or cancelled already")
        region = rt.settings.policy.default_phone_region
        plan = plan_contacts_import(session, org.name, pending[1], default_region=region)
        written = apply_contacts_import(session, plan, default_region=region)
        set_pending_import(session, key, admin.session_id, None)
        return Change(
            org.name,
            {
                "written": len(written),
                "rejected_lines": [row.line for row in plan.rejected],
            },
        )

    refused = await run_in_threadpool(
        apply,
        rt,
        admin,
        request,
        "contacts.import",
        Capability.CONTACTS_WRITE,
        (org.id, org.name),
        change,
    )
    if refused is not None:
        return render(
            request,
            "contacts_import_report.html",
            status=400,
            admin=admin,
            error=refused,
            plan=None,
        )
    query = urlencode({"org": org.name, "done": "imported"})
    return RedirectResponse(f"/admin/contacts?{query}", status_code=303)


def _drop(rt: Runtime, admin: Admin) -> None:
    with rt.db.begin() as session:
        set_pending_import(session, rt.subkey(FLASH_KEY_PURPOSE), admin.session_id, None)


async def cancel_import(request: Request, admin: Admin) -> Response:
    await posted_form(request)
    await run_in_threadpool(_drop, request.app.state.rt, admin)
    return RedirectResponse("/admin/contacts", status_code=303)

"""Importing a CSV into an organisation: contacts (Zivver's columns) or accounts; upload,
report, confirm. KIND is `contacts` or `accounts`.

GET  /admin/KIND/import?org=NAME   the upload form
POST /admin/KIND/import            (org, file ≤ 1 MiB) keeps the file sealed in the admin
                                   session (`pending_import`, tagged with its kind); nothing
                                   is written; 303 to the report
GET  /admin/KIND/import/report     every row checked (the directory's plan): accepted (add or
                                   update) or rejected with its reason; a reload checks
                                   again and still writes nothing
POST /admin/KIND/import/confirm    the accepted rows written in one transaction with the
                                   audit entry `KIND.import` (counts and lines, never a
                                   code); the sealed file is dropped; 303 to /admin/KIND
POST /admin/KIND/import/cancel     drop the file

The planners and writers are those `sealgate contacts|account import` and the REST API
call: `plan_contacts_import` and `apply_contacts_import`; `plan_accounts_import` and
`admin.account_imports.write_accounts_import`, which invites each new account. A row's
role is accepted only from an admin who holds roles.write in the organisation, as in the
API. Contacts need `contacts.write`, accounts `accounts.write`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.admin.account_imports import ORG_ROLES, write_accounts_import
from sealgate.admin.console.access import Org, chosen_org, reached_org
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
    DirectoryError,
    apply_contacts_import,
    plan_accounts_import,
    plan_contacts_import,
)
from sealgate.locale import _

MAX_BYTES = 1024 * 1024

Planner = Callable[[Session, Runtime, Admin, Org, str], Any]
Writer = Callable[[Session, Runtime, Admin, Any], dict[str, Any]]


@dataclass(frozen=True)
class Importer:
    kind: str  # the URL's part, the audit action's prefix, the pending file's tag
    capability: Capability
    plan: Planner
    write: Writer

    @property
    def path(self) -> str:
        return f"/admin/{self.kind}/import"


def _plan_contacts(session: Session, rt: Runtime, admin: Admin, org: Org, text: str) -> Any:
    region = rt.settings.policy.default_phone_region
    return plan_contacts_import(session, org.name, text, default_region=region)


def _write_contacts(session: Session, rt: Runtime, admin: Admin, plan: Any) -> dict[str, Any]:
    region = rt.settings.policy.default_phone_region
    return {"written": len(apply_contacts_import(session, plan, default_region=region))}


def _plan_accounts(session: Session, rt: Runtime, admin: Admin, org: Org, text: str) -> Any:
    roles = ORG_ROLES if admin.principal.may(Capability.ROLES_WRITE, org.id) else ()
    return plan_accounts_import(session, org.name, text, roles=roles)


def _write_accounts(session: Session, rt: Runtime, admin: Admin, plan: Any) -> dict[str, Any]:
    invited = write_accounts_import(session, rt, plan, granted_by=admin.principal.actor)
    return {"written": len(plan.accepted), "invited": invited}


CONTACTS = Importer("contacts", Capability.CONTACTS_WRITE, _plan_contacts, _write_contacts)
ACCOUNTS = Importer("accounts", Capability.ACCOUNTS_WRITE, _plan_accounts, _write_accounts)


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


def _keep(rt: Runtime, admin: Admin, importer: Importer, org: Org, text: str | None) -> None:
    with rt.db.begin() as session:
        value = None
        if text is not None:
            value = json.dumps({"kind": importer.kind, "org": org.name, "csv": text})
        set_pending_import(session, rt.subkey(FLASH_KEY_PURPOSE), admin.session_id, value)


def _pending(
    session: Session, rt: Runtime, admin: Admin, importer: Importer
) -> tuple[str, str] | None:
    """The waiting file of this kind (organisation, text); a file of the other kind is none."""
    stored = pending_import(session, rt.subkey(FLASH_KEY_PURPOSE), admin.session_id)
    if stored is None:
        return None
    value = json.loads(stored)
    if value.get("kind", CONTACTS.kind) != importer.kind:
        return None
    return str(value["org"]), str(value["csv"])


def _plan(rt: Runtime, admin: Admin, importer: Importer) -> tuple[Org, Any] | str | None:
    """The report of the waiting file; None: no file waits; a string: the file is unreadable."""
    with rt.db.begin() as session:
        pending = _pending(session, rt, admin, importer)
        if pending is None:
            return None
        org = chosen_org(session, admin, importer.capability, pending[0])
        try:
            return org, importer.plan(session, rt, admin, org, pending[1])
        except DirectoryError as exc:
            return str(exc)


def _report(request: Request, admin: Admin, importer: Importer, **context: Any) -> Response:
    status = 400 if context.get("error") else 200
    return render(
        request, "csv_import_report.html", status=status, admin=admin, kind=importer.kind, **context
    )


def _confirm(rt: Runtime, admin: Admin, importer: Importer, org: Org) -> Callable[..., Any]:
    def change(session: Session) -> Change:
        pending = _pending(session, rt, admin, importer)
        if pending is None:
            raise Rollback("the file was imported or cancelled already")
        plan = importer.plan(session, rt, admin, org, pending[1])
        details = importer.write(session, rt, admin, plan)
        set_pending_import(session, rt.subkey(FLASH_KEY_PURPOSE), admin.session_id, None)
        return Change(org.name, {**details, "rejected_lines": [r.line for r in plan.rejected]})

    return change


@dataclass(frozen=True)
class ImportPages:
    """The five endpoints of one importer."""

    importer: Importer

    async def form(self, request: Request, admin: Admin) -> Response:
        rt: Runtime = request.app.state.rt
        chosen = request.query_params.get("org")
        org = await run_in_threadpool(reached_org, rt, admin, self.importer.capability, chosen)
        return render(request, "csv_import.html", admin=admin, org=org, kind=self.importer.kind)

    async def upload(self, request: Request, admin: Admin) -> Response:
        form = await posted_form(request, files=1)
        rt: Runtime = request.app.state.rt
        chosen = field(form, "org", 200)
        org = await run_in_threadpool(reached_org, rt, admin, self.importer.capability, chosen)
        text = await _read_upload(form.get("file"))
        if text is None:
            error = _("Choose a CSV file in UTF-8 of at most 1 MB.")
            return render(
                request,
                "csv_import.html",
                status=400,
                admin=admin,
                org=org,
                kind=self.importer.kind,
                error=error,
            )
        await run_in_threadpool(_keep, rt, admin, self.importer, org, text)
        return RedirectResponse(self.importer.path + "/report", status_code=303)

    async def report(self, request: Request, admin: Admin) -> Response:
        planned = await run_in_threadpool(_plan, request.app.state.rt, admin, self.importer)
        if planned is None:
            return RedirectResponse(self.importer.path, status_code=303)
        if isinstance(planned, str):
            return _report(request, admin, self.importer, error=planned, plan=None)
        org, plan = planned
        return _report(request, admin, self.importer, org=org, plan=plan)

    async def confirm(self, request: Request, admin: Admin) -> Response:
        await posted_form(request)
        rt: Runtime = request.app.state.rt
        importer = self.importer
        planned = await run_in_threadpool(_plan, rt, admin, importer)
        if planned is None or isinstance(planned, str):
            return RedirectResponse(importer.path + "/report", status_code=303)
        org = planned[0]
        refused = await run_in_threadpool(
            apply,
            rt,
            admin,
            request,
            f"{importer.kind}.import",
            importer.capability,
            (org.id, org.name),
            _confirm(rt, admin, importer, org),
        )
        if refused is not None:
            return _report(request, admin, importer, error=refused, plan=None)
        query = urlencode({"org": org.name, "done": "imported"})
        return RedirectResponse(f"/admin/{importer.kind}?{query}", status_code=303)

    async def cancel(self, request: Request, admin: Admin) -> Response:
        await posted_form(request)
        rt: Runtime = request.app.state.rt
        await run_in_threadpool(_keep, rt, admin, self.importer, Org(0, ""), None)
        return RedirectResponse(f"/admin/{self.importer.kind}", status_code=303)


CONTACT_IMPORT = ImportPages(CONTACTS)
ACCOUNT_IMPORT = ImportPages(ACCOUNTS)

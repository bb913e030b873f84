"""An organisation's contact books: the shared one, or (`owner`) an account's personal one.

An access code goes in a request body, never in a URL (where logs would keep it), and is
never shown again: a listing holds only its hint. A CSV import (Zivver's columns) is the
directory's plan and apply, as `sealgate contacts import` runs them: without `confirm` only
the per-row report; with it the accepted rows too, in the request's one transaction. The
file itself never goes into the audit trail (it holds access codes), only counts and lines.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sealgate.admin.api.endpoint import Call
from sealgate.admin.api.errors import invalid
from sealgate.admin.api.pagination import page
from sealgate.directory import (
    add_contact,
    apply_contacts_import,
    export_contacts_csv,
    list_contacts,
    plan_contacts_import,
    remove_contact,
)


def list_org_contacts(call: Call) -> dict[str, Any]:
    org = call.org()
    q = call.query
    items = list_contacts(call.session, org.name, owner=q.owner)
    return page(items, lambda c: [c.address, c.kind], lambda c: c.to_json(), q.limit, q.cursor)


def add_org_contact(call: Call) -> dict[str, Any]:
    org = call.org()
    body = call.body
    if (body.phone is None) == (body.access_code is None):
        raise invalid("give exactly one of phone and access_code")
    if body.hint and body.access_code is None:
        raise invalid("hint goes with access_code")
    entry = add_contact(
        call.session,
        org.name,
        body.address,
        owner=body.owner,
        phone=body.phone,
        access_code=body.access_code,
        hint=body.hint,
        default_region=call.rt.settings.policy.default_phone_region,
    )
    call.target = entry.address
    return entry.to_json()


def remove_org_contact(call: Call) -> dict[str, Any]:
    org = call.org()
    q = call.query
    address = call.path["address"]
    removed = remove_contact(call.session, org.name, address, owner=q.owner, kind=q.kind)
    call.target = address
    return {"address": address, "kind": q.kind, "removed": removed}


def import_org_contacts(call: Call) -> dict[str, Any]:
    """The per-row report; with ?confirm=true also the accepted rows, written as one."""
    org = call.org()
    confirm = call.query.confirm
    region = call.rt.settings.policy.default_phone_region
    plan = plan_contacts_import(call.session, org.name, call.body.csv, default_region=region)
    if confirm:
        apply_contacts_import(call.session, plan, default_region=region)
    call.details = {
        "confirm": confirm,
        "accepted": len(plan.accepted),
        "rejected": len(plan.rejected),
        "written_lines": [row.line for row in plan.accepted] if confirm else [],
    }
    return {**plan.to_json(), "written": confirm}


def export_org_contacts(call: Call) -> Response:
    """The shared book as CSV in the import's columns; an access to personal data, audited."""
    org = call.org()
    text = export_contacts_csv(call.session, org.name, excel=call.query.excel)
    call.wrote = True
    call.details = {"rows": text.count("\r\n") - 1, "excel": call.query.excel}
    filename = f"contacts-{org.id}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )

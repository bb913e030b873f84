"""An organisation's contact books: the shared one, or (`owner`) an account's personal one.

An access code goes in a request body, never in a URL (where logs would keep it), and is
never shown again: a listing holds only its hint.
"""

from __future__ import annotations

from typing import Any

from sealgate.admin.api.endpoint import Call
from sealgate.admin.api.errors import invalid
from sealgate.admin.api.pagination import page
from sealgate.directory import add_contact, list_contacts, remove_contact


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

"""The organisation's Email Security Policy: the settings `sealgate policy show|set` reads
and changes.

GET  /admin/policy?org=NAME   the settings as a form (`policy.read`; the form's button only
                              with `policy.write`)
POST /admin/policy            every setting at once (checkboxes, the level, the numbers);
                              audit `policy.set` with the settings that changed
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.admin.console.access import Org, org_listing, reached_org
from sealgate.admin.console.mutations import Change, Rollback, apply
from sealgate.admin.console.pages import field, posted_form, render
from sealgate.admin.console.sessions import Admin
from sealgate.admin.roles import Capability
from sealgate.bootstrap import Runtime
from sealgate.directory import EXPIRY_OFF, TSC_CHOICES, get_policy, set_policy
from sealgate.locale import _

SWITCHES = ("sms", "access_code", "email_verification", "nta7516", "show_subject")


def _listing(rt: Runtime, admin: Admin, org_name: str | None) -> dict[str, Any]:
    with rt.db.begin() as session:
        listing = org_listing(session, admin, Capability.POLICY_READ, org_name)
        return {**listing, "policy": get_policy(session, listing["org"].name)}


async def policy_page(
    request: Request, admin: Admin, *, error: str | None = None, org_name: str | None = None
) -> Response:
    chosen = org_name or request.query_params.get("org")
    listing = await run_in_threadpool(_listing, request.app.state.rt, admin, chosen)
    org = listing["org"]
    assert isinstance(org, Org)
    done = request.query_params.get("done") == "saved"
    return render(
        request,
        "policy.html",
        status=400 if error else 200,
        admin=admin,
        error=error,
        done=_("The policy was saved.") if done else None,
        may_write=admin.principal.may(Capability.POLICY_WRITE, org.id),
        tsc_choices=TSC_CHOICES,
        **listing,
    )


def _number(form: FormData, name: str) -> int:
    value = field(form, name, 8)
    if not value.isascii() or not value.isdigit():
        raise Rollback(f"{name.replace('_', ' ')}: type a whole number")
    return int(value)


def _settings(form: FormData) -> dict[str, Any]:
    expiry = field(form, "expiry_days", 8)
    settings: dict[str, object] = {name: form.get(name) == "on" for name in SWITCHES}
    settings["tsc"] = field(form, "tsc", 16)
    settings["access_code_min_length"] = _number(form, "access_code_min_length")
    settings["expiry_days"] = (
        EXPIRY_OFF if expiry in ("", EXPIRY_OFF) else _number(form, "expiry_days")
    )
    settings["retention_days"] = _number(form, "retention_days")
    return settings


async def save_policy(request: Request, admin: Admin) -> Response:
    form = await posted_form(request)
    rt: Runtime = request.app.state.rt
    org: Org = await run_in_threadpool(
        reached_org, rt, admin, Capability.POLICY_WRITE, field(form, "org", 200)
    )

    def change(session: Session) -> Change:
        before = asdict(get_policy(session, org.name))
        after = asdict(set_policy(session, org.name, **_settings(form)))
        changed = {name: after[name] for name in after if after[name] != before[name]}
        return Change(org.name, {"changed": changed})

    refused = await run_in_threadpool(
        apply, rt, admin, request, "policy.set", Capability.POLICY_WRITE, (org.id, org.name), change
    )
    if refused is not None:
        return await policy_page(request, admin, error=refused, org_name=org.name)
    query = urlencode({"org": org.name, "done": "saved"})
    return RedirectResponse(f"/admin/policy?{query}", status_code=303)

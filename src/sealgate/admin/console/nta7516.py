"""The NTA 7516 list: recipient domains known to be NTA 7516 compliant, which the policy
step `nta7516` trusts. The list is the gateway's, not an organisation's.

GET  /admin/nta7516          the list, for anyone with `policy.read` somewhere
POST /admin/nta7516          (domain) as `nta7516 add` (`directory.add_nta7516_domain`);
                             the operator only; audit `nta7516.add`
POST /admin/nta7516/remove   (domain) as `nta7516 remove`; the operator only;
                             audit `nta7516.remove`
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.admin.console.access import Forbidden
from sealgate.admin.console.mutations import Change, apply
from sealgate.admin.console.pages import field, posted_form, render
from sealgate.admin.console.sessions import Admin
from sealgate.admin.roles import Capability
from sealgate.bootstrap import Runtime
from sealgate.directory import add_nta7516_domain, list_nta7516_domains, remove_nta7516_domain
from sealgate.locale import _


def _listing(rt: Runtime, admin: Admin) -> dict[str, Any]:
    scope = admin.principal.org_scope(Capability.POLICY_READ)
    if scope is not None and not scope:
        raise Forbidden(Capability.POLICY_READ)
    with rt.db.begin() as session:
        return {
            "domains": list_nta7516_domains(session),
            "may_write": admin.principal.may(Capability.POLICY_WRITE, None),
        }


def _done(key: str) -> str | None:
    if key == "added":
        return _("The domain was added to the list.")
    if key == "removed":
        return _("The domain was taken off the list.")
    return None


async def nta7516_page(request: Request, admin: Admin, *, error: str | None = None) -> Response:
    listing = await run_in_threadpool(_listing, request.app.state.rt, admin)
    return render(
        request,
        "nta7516.html",
        status=400 if error else 200,
        admin=admin,
        error=error,
        done=_done(request.query_params.get("done", "")),
        **listing,
    )


async def _change(
    request: Request, admin: Admin, action: str, done: str, act: Callable[[Session, str], str]
) -> Response:
    form = await posted_form(request)
    rt: Runtime = request.app.state.rt
    typed = field(form, "domain", 253)

    def change(session: Session) -> Change:
        return Change(act(session, typed), {})

    refused = await run_in_threadpool(
        apply, rt, admin, request, action, Capability.POLICY_WRITE, (None, None), change
    )
    if refused is not None:
        return await nta7516_page(request, admin, error=refused)
    return RedirectResponse(f"/admin/nta7516?done={done}", status_code=303)


async def add_nta7516(request: Request, admin: Admin) -> Response:
    return await _change(request, admin, "nta7516.add", "added", add_nta7516_domain)


async def remove_nta7516(request: Request, admin: Admin) -> Response:
    return await _change(request, admin, "nta7516.remove", "removed", remove_nta7516_domain)

"""Transport probes: the cached ones, and running one now (as `sealgate probe` does).

GET  /admin/probes     the cached probes delivery made (`transport_probes`), by domain, for
                       anyone with `probes.read` somewhere; after a run, its result once
POST /admin/probes     (domain) probe its mail servers now (TLS, PKIX, DANE) with the
                       resolver, CA bundle and port delivery uses; the result goes into the
                       session's sealed flash and the browser back to /admin/probes;
                       audit `probe.run` (domain and level)

A probe reads public DNS and connects to public mail servers: not an organisation's
resource, so `probes.run` for any organisation may; the audit entry names the admin's.
The probe runs outside any database transaction.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.admin.api.probes import probe_domain, prober_for
from sealgate.admin.console.access import Org, chosen_org
from sealgate.admin.console.mutations import Change, apply
from sealgate.admin.console.pages import field, posted_form, render
from sealgate.admin.console.sessions import FLASH_KEY_PURPOSE, Admin, set_flash, take_flash
from sealgate.admin.roles import Capability
from sealgate.bootstrap import Runtime
from sealgate.locale import _
from sealgate.store import TransportProbe

# The flash of a probe's result: this line, then the result as JSON (tokens.py and
# credentials.py show only their own).
FLASH_PREFIX = "probe-result\n"


def _listing(rt: Runtime, admin: Admin) -> dict[str, Any]:
    with rt.db.begin() as session:
        chosen_org(session, admin, Capability.PROBES_READ, None)
        rows = session.scalars(select(TransportProbe).order_by(TransportProbe.domain)).all()
        flash = take_flash(session, rt.subkey(FLASH_KEY_PURPOSE), admin.session_id)
        may_run = admin.principal.org_scope(Capability.PROBES_RUN) != frozenset()
    result = None
    if flash is not None and flash.startswith(FLASH_PREFIX):
        result = json.loads(flash.removeprefix(FLASH_PREFIX))
    return {"probes": rows, "result": result, "may_run": may_run}


async def probes_page(
    request: Request, admin: Admin, *, error: str | None = None, typed: str = ""
) -> Response:
    listing = await run_in_threadpool(_listing, request.app.state.rt, admin)
    return render(
        request,
        "probes.html",
        status=400 if error else 200,
        admin=admin,
        error=error,
        typed=typed,
        **listing,
    )


def _reached(rt: Runtime, admin: Admin) -> Org:
    with rt.db.begin() as session:
        return chosen_org(session, admin, Capability.PROBES_RUN, None)


async def run_probe(request: Request, admin: Admin) -> Response:
    form = await posted_form(request)
    rt: Runtime = request.app.state.rt
    org = await run_in_threadpool(_reached, rt, admin)
    typed = field(form, "domain", 253)
    domain = probe_domain(typed)
    if domain is None:
        return await probes_page(request, admin, error=_("That is not a domain name."), typed=typed)
    result = (await prober_for(rt).probe(domain)).to_json()

    def change(session: Session) -> Change:
        flash = FLASH_PREFIX + json.dumps(result, separators=(",", ":"))
        set_flash(session, rt.subkey(FLASH_KEY_PURPOSE), admin.session_id, flash)
        return Change(domain, {"level": result["level"]})

    await run_in_threadpool(
        apply, rt, admin, request, "probe.run", Capability.PROBES_RUN, (org.id, org.name), change
    )
    return RedirectResponse("/admin/probes", status_code=303)

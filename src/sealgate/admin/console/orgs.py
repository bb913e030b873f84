"""Organisations and their domains: list them, create one (operator), switch IDD per domain.

GET  /admin/orgs            the organisations `orgs.read` reaches, with their domains and
                            accounts (`directory.list_orgs`); each domain's Inbound Direct
                            Delivery (IDD) switch for those with `policy.write`
POST /admin/orgs            (name, domains: one per line or comma-separated) as `org create`
                            (`directory.create_org`); the operator only; audit `org.create`
POST /admin/orgs/idd        (org, domain, idd on|off) as `idd on|off` (`directory.set_idd`);
                            audit `idd.set`
POST /admin/orgs/claim      (org, domain) start a domain claim (`domain_claims.claim_domain`,
                            as the API's POST …/domains); audit `domain.claim`; 303 to
GET  /admin/orgs/claim?org=NAME&domain=D   the TXT record to publish, and the verify button
POST /admin/orgs/verify     (org, domain) look the record up (`domain_claims.verify_claim`)
                            and add the domain; audit `domain.verify`; 303 to /admin/orgs

Claiming and verifying need `domains.write` for the organisation. The challenge is the same
every time it is asked for, so the GET page computes it again and writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.admin import domain_claims
from sealgate.admin.console.access import Forbidden, NotFound, Org, chosen_org, reached_org
from sealgate.admin.console.mutations import Change, apply
from sealgate.admin.console.pages import field, posted_form, render
from sealgate.admin.console.sessions import Admin
from sealgate.admin.domain_claims import Challenge, ClaimError
from sealgate.admin.roles import Capability
from sealgate.bootstrap import Runtime
from sealgate.directory import DirectoryError, OrgSummary, create_org, list_orgs, set_idd
from sealgate.locale import _
from sealgate.store import Domain, Organisation

DOMAINS = Capability.DOMAINS_WRITE


@dataclass(frozen=True)
class OrgView:
    id: int
    summary: OrgSummary
    domains: list[tuple[str, bool]]  # name, IDD on
    may_idd: bool
    may_claim: bool


def _listing(rt: Runtime, admin: Admin) -> dict[str, Any]:
    scope = admin.principal.org_scope(Capability.ORGS_READ)
    if scope is not None and not scope:
        raise Forbidden(Capability.ORGS_READ)
    with rt.db.begin() as session:
        rows = session.execute(select(Organisation.name, Organisation.id))
        ids: dict[str, int] = {name: org_id for name, org_id in rows}
        idd: dict[int, list[tuple[str, bool]]] = {}
        for org_id, name, on in session.execute(
            select(Domain.org_id, Domain.name, Domain.idd).order_by(Domain.name)
        ):
            idd.setdefault(org_id, []).append((name, bool(on)))
        views = [
            OrgView(
                ids[item.name],
                item,
                idd.get(ids[item.name], []),
                admin.principal.may(Capability.POLICY_WRITE, ids[item.name]),
                admin.principal.may(DOMAINS, ids[item.name]),
            )
            for item in list_orgs(session)
            if scope is None or ids[item.name] in scope
        ]
    return {"orgs": views, "may_create": admin.principal.may(Capability.ORGS_CREATE, None)}


def _done(key: str) -> str | None:
    if key == "created":
        return _("The organisation was created.")
    if key == "idd":
        return _("Inbound Direct Delivery was switched.")
    if key == "verified":
        return _("The domain was verified and added to the organisation.")
    return None


async def orgs_page(
    request: Request, admin: Admin, *, error: str | None = None, form: dict[str, str] | None = None
) -> Response:
    listing = await run_in_threadpool(_listing, request.app.state.rt, admin)
    return render(
        request,
        "orgs.html",
        status=400 if error else 200,
        admin=admin,
        error=error,
        done=_done(request.query_params.get("done", "")),
        form=form or {},
        **listing,
    )


async def create_organisation(request: Request, admin: Admin) -> Response:
    form = await posted_form(request)
    rt: Runtime = request.app.state.rt
    name = field(form, "name", 200)
    domains = [d for d in re.split(r"[\s,]+", field(form, "domains", 2000)) if d]

    def change(session: Session) -> Change:
        info = create_org(session, name, domains)
        return Change(str(info.id), {"name": info.name, "domains": list(info.domains)})

    refused = await run_in_threadpool(
        apply, rt, admin, request, "org.create", Capability.ORGS_CREATE, (None, name), change
    )
    if refused is not None:
        typed = {"name": name, "domains": "\n".join(domains)}
        return await orgs_page(request, admin, error=refused, form=typed)
    return RedirectResponse("/admin/orgs?done=created", status_code=303)


async def switch_idd(request: Request, admin: Admin) -> Response:
    form = await posted_form(request)
    rt: Runtime = request.app.state.rt
    domain, on = field(form, "domain", 253), field(form, "idd", 4) == "on"

    def reached() -> tuple[int, str]:
        with rt.db.begin() as session:
            org = chosen_org(session, admin, Capability.POLICY_WRITE, field(form, "org", 200))
            return org.id, org.name

    org = await run_in_threadpool(reached)

    def change(session: Session) -> Change:
        info = set_idd(session, org[1], domain, on)
        return Change(info.domain, {"idd": info.idd})

    refused = await run_in_threadpool(
        apply, rt, admin, request, "idd.set", Capability.POLICY_WRITE, org, change
    )
    if refused is not None:
        return await orgs_page(request, admin, error=refused)
    return RedirectResponse("/admin/orgs?done=idd", status_code=303)


def _claim_back(org: str, domain: str) -> Response:
    query = urlencode({"org": org, "domain": domain})
    return RedirectResponse(f"/admin/orgs/claim?{query}", status_code=303)


async def claim_domain(request: Request, admin: Admin) -> Response:
    form = await posted_form(request)
    rt: Runtime = request.app.state.rt
    typed = field(form, "domain", 253)
    org = await run_in_threadpool(reached_org, rt, admin, DOMAINS, field(form, "org", 200))
    found: list[Challenge] = []

    def change(session: Session) -> Change:
        found.append(domain_claims.claim_domain(session, rt, org.id, typed))
        return Change(found[0].domain, {"record_name": found[0].record_name})

    refused = await run_in_threadpool(
        apply, rt, admin, request, "domain.claim", DOMAINS, (org.id, org.name), change
    )
    if refused is not None:
        return await orgs_page(request, admin, error=refused, form={"claim": typed})
    return _claim_back(org.name, found[0].domain)


def _challenge(rt: Runtime, admin: Admin, org_name: str, typed: str) -> tuple[Org, Challenge]:
    with rt.db.begin() as session:
        org = chosen_org(session, admin, DOMAINS, org_name or None)
        try:
            return org, domain_claims.claim_domain(session, rt, org.id, typed)
        except (DirectoryError, ClaimError):
            raise NotFound(typed) from None


async def _claim_view(
    request: Request, admin: Admin, org_name: str, typed: str, error: str | None = None
) -> Response:
    rt: Runtime = request.app.state.rt
    org, challenge = await run_in_threadpool(_challenge, rt, admin, org_name, typed)
    return render(
        request,
        "domain_claim.html",
        status=400 if error else 200,
        admin=admin,
        error=error,
        org=org,
        challenge=challenge,
    )


async def claim_page(request: Request, admin: Admin) -> Response:
    query = request.query_params
    return await _claim_view(
        request, admin, query.get("org", "")[:200], query.get("domain", "")[:253]
    )


async def verify_domain(request: Request, admin: Admin) -> Response:
    form = await posted_form(request)
    rt: Runtime = request.app.state.rt
    typed = field(form, "domain", 253)
    org = await run_in_threadpool(reached_org, rt, admin, DOMAINS, field(form, "org", 200))

    def change(session: Session) -> Change:
        row = domain_claims.verify_claim(session, rt, org.id, typed)
        return Change(row.name, {"idd": row.idd})

    refused = await run_in_threadpool(
        apply, rt, admin, request, "domain.verify", DOMAINS, (org.id, org.name), change
    )
    if refused is not None:
        return await _claim_view(request, admin, org.name, typed, refused)
    return RedirectResponse("/admin/orgs?done=verified", status_code=303)

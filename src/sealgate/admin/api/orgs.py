"""Organisations and their domains: list, show, create (operator), claim a domain by DNS.

A domain claim is proven by a TXT record (admin/domain_claims.py, which the console's
forms call too); its refusals answer 409, 422 or 502.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from sealgate.admin import domain_claims
from sealgate.admin.api.endpoint import Call, iso
from sealgate.admin.api.errors import ApiError
from sealgate.admin.api.pagination import page
from sealgate.admin.domain_claims import ClaimError
from sealgate.directory import OrgSummary, create_org, list_orgs, set_idd
from sealgate.store import Domain, Organisation


def _org_json(org_id: int, item: OrgSummary) -> dict[str, Any]:
    return {
        "id": org_id,
        "name": item.name,
        "domains": list(item.domains),
        "accounts": item.accounts,
        "active_accounts": item.active_accounts,
        "created": iso(item.created_at),
    }


def _ids(call: Call) -> dict[str, int]:
    rows = call.session.execute(select(Organisation.name, Organisation.id))
    return {name: org_id for name, org_id in rows}


def list_organisations(call: Call) -> dict[str, Any]:
    ids, scope = _ids(call), call.scope()
    items = [
        (ids[item.name], item)
        for item in list_orgs(call.session)
        if scope is None or ids[item.name] in scope
    ]
    items.sort(key=lambda pair: pair[0])
    q = call.query
    return page(items, lambda p: [p[0]], lambda p: _org_json(*p), q.limit, q.cursor)


def show_organisation(call: Call) -> dict[str, Any]:
    org = call.org()
    item = next(item for item in list_orgs(call.session) if item.name == org.name)
    return _org_json(org.id, item)


def create_organisation(call: Call) -> dict[str, Any]:
    info = create_org(call.session, call.body.name, call.body.domains)
    call.org_name, call.target = info.name, str(info.id)
    row = call.session.get_one(Organisation, info.id)
    return _org_json(info.id, OrgSummary(info.name, None, info.domains, 0, 0, row.created_at))


def list_domains(call: Call) -> dict[str, Any]:
    org = call.org()
    rows = call.session.scalars(
        select(Domain).where(Domain.org_id == org.id).order_by(Domain.name)
    ).all()
    q = call.query
    return page(
        rows, lambda r: [r.name], lambda r: {"name": r.name, "idd": r.idd}, q.limit, q.cursor
    )


_CLAIM_STATUS = {"conflict": 409, "challenge_failed": 422, "dns_lookup_failed": 502}


def _claim_refused(exc: ClaimError) -> ApiError:
    return ApiError(_CLAIM_STATUS[exc.reason], exc.reason, str(exc))


def claim_domain(call: Call) -> dict[str, Any]:
    org = call.org()
    call.target = call.body.domain
    try:
        challenge = domain_claims.claim_domain(call.session, call.rt, org.id, call.body.domain)
    except ClaimError as exc:
        raise _claim_refused(exc) from None
    call.target = challenge.domain
    return challenge.to_json()


def verify_domain(call: Call) -> dict[str, Any]:
    org = call.org()
    call.target = call.path["domain"]
    try:
        row = domain_claims.verify_claim(call.session, call.rt, org.id, call.path["domain"])
    except ClaimError as exc:
        raise _claim_refused(exc) from None
    call.target = row.name
    return {"domain": row.name, "status": "verified", "idd": row.idd}


def update_domain(call: Call) -> dict[str, Any]:
    org = call.org()
    info = set_idd(call.session, org.name, call.path["domain"], call.body.idd)
    call.target = info.domain
    return {"name": info.domain, "idd": info.idd}

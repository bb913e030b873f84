"""Organisations and their domains: list, show, create (operator), claim a domain by DNS.

A domain claim is proven by a TXT record `_sealgate-challenge.<domain>` whose value is an
HMAC of the organisation and domain under a master-key subkey: unguessable without the key,
yet nothing to store; the same claim always asks for the same value, so an admin can
publish it, come back later and verify. Verify asks the configured resolver
([transport] resolver), the one delivery uses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from sqlalchemy import select

from sealgate.admin.api.endpoint import Call, iso
from sealgate.admin.api.errors import ApiError
from sealgate.admin.api.pagination import page
from sealgate.delivery import LookupFailed, resolver_txt_lookup
from sealgate.directory import OrgSummary, claimable_domain, create_org, list_orgs, set_idd
from sealgate.store import Domain, Organisation

CHALLENGE_PURPOSE = "domain-claim"
CHALLENGE_PREFIX = "_sealgate-challenge."


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


def challenge_value(call: Call, org_id: int, domain: str) -> str:
    mac = hmac.new(call.rt.subkey(CHALLENGE_PURPOSE), f"{org_id}:{domain}".encode(), hashlib.sha256)
    return "sealgate-challenge=" + base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def _unclaimed(call: Call, org_id: int, domain: str) -> Domain | None:
    """The domain's row if this organisation holds it; 409 if another one does."""
    row = call.session.scalar(select(Domain).where(Domain.name == domain))
    if row is not None and row.org_id != org_id:
        raise ApiError(409, "conflict", f"domain {domain} is claimed by another organisation")
    return row


def claim_domain(call: Call) -> dict[str, Any]:
    org = call.org()
    domain = claimable_domain(call.body.domain)
    call.target = domain
    if _unclaimed(call, org.id, domain) is not None:
        raise ApiError(409, "conflict", f"domain {domain} is already claimed by this organisation")
    return {
        "domain": domain,
        "status": "pending",
        "record_name": CHALLENGE_PREFIX + domain,
        "record_type": "TXT",
        "record_value": challenge_value(call, org.id, domain),
    }


def verify_domain(call: Call) -> dict[str, Any]:
    org = call.org()
    domain = claimable_domain(call.path["domain"])
    call.target = domain
    row = _unclaimed(call, org.id, domain)
    if row is None:
        transport = call.rt.settings.transport
        lookup = resolver_txt_lookup(transport.resolver, timeout=transport.dns_timeout)
        try:
            found = lookup(CHALLENGE_PREFIX + domain)
        except LookupFailed as exc:
            raise ApiError(502, "dns_lookup_failed", str(exc)) from None
        expected = challenge_value(call, org.id, domain).encode()
        if not any(hmac.compare_digest(text.strip().encode(), expected) for text in found):
            raise ApiError(
                422,
                "challenge_failed",
                f"no TXT record {CHALLENGE_PREFIX}{domain} with the challenge value was found",
            )
        row = Domain(org_id=org.id, name=domain)
        call.session.add(row)
        call.session.flush()
    return {"domain": domain, "status": "verified", "idd": row.idd}


def update_domain(call: Call) -> dict[str, Any]:
    org = call.org()
    info = set_idd(call.session, org.name, call.path["domain"], call.body.idd)
    call.target = info.domain
    return {"name": info.domain, "idd": info.idd}

"""An organisation's Email Security Policy, the NTA 7516 list, and its DKIM keys and DNS.

PATCH takes the settings `sealgate policy set` takes; `expiry_days`, `pseudonymise_days`
and `remember_device_days` set to null switch those off. The NTA 7516 list is the gateway's, not an
organisation's: anyone with policy.read somewhere may read it, only the operator may change
it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from sealgate.admin.api.endpoint import Call, iso
from sealgate.admin.api.errors import invalid, not_found
from sealgate.admin.api.pagination import page
from sealgate.delivery import (
    DKIM_KEY_PURPOSE,
    DnsRecord,
    check_record,
    org_records,
    resolver_txt_lookup,
)
from sealgate.directory import (
    EXPIRY_OFF,
    DirectoryError,
    add_nta7516_domain,
    claimable_domain,
    get_policy,
    list_nta7516_domains,
    remove_nta7516_domain,
    set_policy,
)
from sealgate.store import DkimKeyRow, Organisation, utcnow


def show_policy(call: Call) -> dict[str, Any]:
    return get_policy(call.session, call.org().name).to_json()


def update_policy(call: Call) -> dict[str, Any]:
    org = call.org()
    changes = call.body.model_dump(exclude_unset=True)
    if not changes:
        raise invalid("nothing to change: give at least one setting")
    # For these, null means "off", as `--expiry-days off` does; elsewhere null is a no-op.
    for name in ("expiry_days", "pseudonymise_days", "remember_device_days"):
        if name in changes and changes[name] is None:
            changes[name] = EXPIRY_OFF
    call.target = org.name
    return set_policy(call.session, org.name, **changes).to_json()


def list_nta7516(call: Call) -> dict[str, Any]:
    q = call.query
    domains = list_nta7516_domains(call.session)
    return page(domains, lambda d: [d], lambda d: {"domain": d}, q.limit, q.cursor)


def add_nta7516(call: Call) -> dict[str, Any]:
    domain = add_nta7516_domain(call.session, call.body.domain)
    call.target = domain
    return {"domain": domain, "nta7516": True}


def remove_nta7516(call: Call) -> dict[str, Any]:
    given = call.path["domain"]
    try:
        listed = claimable_domain(given) in list_nta7516_domains(call.session)
    except DirectoryError:
        listed = False
    if not listed:
        raise not_found(f"{given} is not on the NTA 7516 list")
    domain = remove_nta7516_domain(call.session, given)
    call.target = domain
    return {"domain": domain, "nta7516": False}


def _records(call: Call, org: Organisation) -> list[DnsRecord]:
    """The records to publish; making missing DKIM keys is a write, and audited as one."""

    def count() -> int:
        return (
            call.session.scalar(
                select(func.count(DkimKeyRow.id)).where(DkimKeyRow.org_id == org.id)
            )
            or 0
        )

    before = count()
    delivery = call.rt.settings.delivery
    seal_key = call.rt.subkey(DKIM_KEY_PURPOSE)
    records = org_records(
        call.session, seal_key, org.name, delivery.helo_name, delivery.relay, utcnow()
    )
    if count() != before:
        call.wrote, call.target = True, org.name
    return records


def dns_records(call: Call) -> dict[str, Any]:
    return {"items": [record.to_json() for record in _records(call, call.org())]}


def dns_check(call: Call) -> dict[str, Any]:
    records = _records(call, call.org())
    transport = call.rt.settings.transport
    lookup = resolver_txt_lookup(transport.resolver, timeout=transport.dns_timeout)
    checks = [check_record(record, lookup) for record in records]
    dkim = [check for check in checks if check.record.purpose == "dkim"]
    return {
        "items": [check.to_json() for check in checks],
        "dkim_published": all(check.status == "ok" for check in dkim),
    }


def dkim_keys(call: Call) -> dict[str, Any]:
    org = call.org()
    rows = call.session.scalars(
        select(DkimKeyRow)
        .where(DkimKeyRow.org_id == org.id)
        .order_by(DkimKeyRow.domain, DkimKeyRow.created_at, DkimKeyRow.id)
    )
    return {
        "items": [
            {
                "domain": row.domain,
                "selector": row.selector,
                "algorithm": row.algorithm,
                "active": row.active,
                "created": iso(row.created_at),
                "public_record": row.public_record,
            }
            for row in rows
        ]
    }

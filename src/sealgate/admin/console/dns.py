"""DKIM keys and the DNS records an organisation publishes, and their check in DNS.

GET /admin/dns?org=NAME            the organisation's DKIM keys and the DKIM, SPF and DMARC
                                   records to publish (`delivery.org_records`, as
                                   `sealgate dns-records` and the REST API make them)
GET /admin/dns?org=NAME&check=1    the same, each record looked up with the resolver
                                   delivery uses (`delivery.check_record`): ok, missing,
                                   different or error

Both need `policy.read`. Showing the records makes the DKIM keys a domain lacks, which is
a write: then, and only then, an audit entry `dkim.create` records it, as the API does.
The look-ups run after the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sealgate.admin.console.access import chosen_org, orgs_within
from sealgate.admin.console.pages import client_of, render
from sealgate.admin.console.sessions import Admin
from sealgate.admin.roles import Capability
from sealgate.audit import record
from sealgate.bootstrap import Runtime
from sealgate.delivery import (
    DKIM_KEY_PURPOSE,
    DnsRecord,
    RecordCheck,
    check_record,
    org_records,
    resolver_txt_lookup,
)
from sealgate.store import DkimKeyRow, utcnow


@dataclass(frozen=True)
class KeyView:
    domain: str
    selector: str
    algorithm: str
    active: bool


def _keys(session: Session, org_id: int) -> list[KeyView]:
    rows = session.scalars(
        select(DkimKeyRow)
        .where(DkimKeyRow.org_id == org_id)
        .order_by(DkimKeyRow.domain, DkimKeyRow.created_at, DkimKeyRow.id)
    )
    return [KeyView(r.domain, r.selector, r.algorithm, r.active) for r in rows]


def _listing(rt: Runtime, admin: Admin, org_name: str | None, client: str | None) -> dict[str, Any]:
    with rt.db.begin() as session:
        org = chosen_org(session, admin, Capability.POLICY_READ, org_name)

        def count() -> int:
            query = select(func.count(DkimKeyRow.id)).where(DkimKeyRow.org_id == org.id)
            return session.scalar(query) or 0

        before = count()
        delivery = rt.settings.delivery
        records = org_records(
            session,
            rt.subkey(DKIM_KEY_PURPOSE),
            org.name,
            delivery.helo_name,
            delivery.relay,
            utcnow(),
        )
        made = count() - before
        if made:
            record(
                session,
                "dkim.create",
                admin.principal.actor,
                organisation=org.name,
                target=org.name,
                client=client,
                details={"keys": made},
            )
        return {
            "org": org,
            "orgs": orgs_within(session, admin, Capability.POLICY_READ),
            "records": records,
            "keys": _keys(session, org.id),
        }


def _checks(rt: Runtime, records: list[DnsRecord]) -> list[RecordCheck]:
    transport = rt.settings.transport
    lookup = resolver_txt_lookup(transport.resolver, timeout=transport.dns_timeout)
    return [check_record(item, lookup) for item in records]


async def dns_page(request: Request, admin: Admin) -> Response:
    rt: Runtime = request.app.state.rt
    chosen = request.query_params.get("org")
    listing = await run_in_threadpool(_listing, rt, admin, chosen, client_of(request))
    checks = None
    if request.query_params.get("check") == "1":
        checks = await run_in_threadpool(_checks, rt, listing["records"])
    return render(request, "dns.html", admin=admin, checks=checks, **listing)

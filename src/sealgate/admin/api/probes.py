"""Transport probes: run one now (as `sealgate probe` does), or list the cached ones.

A probe reads public DNS and connects to public mail servers, so it is not an
organisation's resource: any token holding probes.run (probes.read) somewhere may.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlalchemy import select

from sealgate.admin.api.endpoint import Call, iso
from sealgate.admin.api.errors import invalid
from sealgate.admin.api.pagination import page
from sealgate.bootstrap import Runtime
from sealgate.mail import AddressError, Domain
from sealgate.store import TransportProbe
from sealgate.transport import Prober, Resolver

DOMAIN_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}$")


def probe_domain(typed: str) -> str | None:
    """The domain name to probe (its A-label), or None when `typed` is not one."""
    try:
        domain = Domain.parse(typed).ascii
    except AddressError:
        return None
    return domain if DOMAIN_NAME.match(domain) else None


def prober_for(rt: Runtime) -> Prober:
    """A prober with the resolver, CA bundle, port and HELO name delivery uses (the API's and
    the console's)."""
    settings = rt.settings
    transport = settings.transport
    return Prober(
        Resolver(transport.resolver, timeout=transport.dns_timeout),
        ca_file=transport.ca_file or None,
        port=transport.smtp_port,
        timeout=transport.connect_timeout,
        helo=settings.delivery.helo_name,
    )


def run_probe(call: Call) -> dict[str, Any]:
    domain = probe_domain(call.body.domain)
    if domain is None:
        raise invalid(f"{call.body.domain!r} is not a domain name")
    call.target = domain
    # The handler runs in a worker thread, which has no event loop of its own.
    result = asyncio.run(prober_for(call.rt).probe(domain))
    return dict(result.to_json())


def list_probes(call: Call) -> dict[str, Any]:
    q = call.query
    rows = call.session.scalars(select(TransportProbe).order_by(TransportProbe.domain)).all()
    return page(
        rows,
        lambda r: [r.domain],
        lambda r: {
            "domain": r.domain,
            "level": r.level,
            "probed_at": iso(r.probed_at),
            "expires_at": iso(r.expires_at),
        },
        q.limit,
        q.cursor,
    )

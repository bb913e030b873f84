"""Claiming a domain in the console over real HTTP: the TXT record to publish, verify against
a DNS server on loopback, the same functions as the API, and the roles that may not."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from sealgate.audit import AuditEntry, entries
from sealgate.bootstrap import Runtime
from sealgate.store import Domain
from tests.admin.console.console import World, claim_zone, console_browser, log_in, zone_settings
from tests.delivery.dns_zone import DnsZone

_VALUE = re.compile(r'<code id="claim-record-value">([^<]+)</code>')

# These tests resolve through claim_zone, a DNS server on loopback.
settings = zone_settings
__all__ = ["claim_zone", "settings"]


def _audit(rt: Runtime, action: str) -> list[AuditEntry]:
    with rt.db.begin() as session:
        return list(entries(session, action=action))


def _owner(rt: Runtime, domain: str) -> int | None:
    with rt.db.begin() as session:
        return session.scalar(select(Domain.org_id).where(Domain.name == domain))


async def test_an_org_admin_claims_and_verifies_a_domain(
    runtime: Runtime, world: World, base_url: str, claim_zone: DnsZone
):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.hospital_admin)
        page = await browser.get("/admin/orgs")
        assert "Claim a domain" in page.text
        claimed = await browser.post(
            "/admin/orgs/claim", {"org": "Hospital", "domain": "Zorg.Example"}
        )
        assert claimed.status_code == 303, claimed.text
        shown = await browser.get(claimed.headers["location"])
        assert shown.status_code == 200
        assert "_sealgate-challenge.zorg.example" in shown.text
        [value] = _VALUE.findall(shown.text)
        assert value.startswith("sealgate-challenge=")
        missing = await browser.post(
            "/admin/orgs/verify", {"org": "Hospital", "domain": "zorg.example"}
        )
        assert missing.status_code == 400 and "no TXT record" in missing.text
        assert _owner(runtime, "zorg.example") is None
        claim_zone.add_txt("_sealgate-challenge.zorg.example", value)
        verified = await browser.post(
            "/admin/orgs/verify", {"org": "Hospital", "domain": "zorg.example"}
        )
        assert (
            verified.status_code == 303
            and verified.headers["location"] == "/admin/orgs?done=verified"
        )
        listed = await browser.get(verified.headers["location"])
        assert "zorg.example" in listed.text and "The domain was verified" in listed.text
        taken = await browser.post(
            "/admin/orgs/claim", {"org": "Hospital", "domain": "clinic.example"}
        )
        assert taken.status_code == 400 and "claimed by another organisation" in taken.text
    assert _owner(runtime, "zorg.example") is not None
    [claim] = _audit(runtime, "domain.claim")
    assert (claim.organisation, claim.object_id) == ("Hospital", "zorg.example")
    [entry] = [e for e in _audit(runtime, "domain.verify") if e.outcome == "ok"]
    assert entry.actor_id == "hanna@hospital.example" and json.loads(entry.details) == {
        "idd": False
    }


async def test_an_auditor_or_another_organisation_cannot_claim(
    runtime: Runtime, world: World, base_url: str
):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.auditor)
        assert "Claim a domain" not in (await browser.get("/admin/orgs")).text
        refused = await browser.post(
            "/admin/orgs/claim", {"org": "Hospital", "domain": "x.example"}
        )
        assert refused.status_code == 403
        shown = await browser.get(
            "/admin/orgs/claim", params={"org": "Hospital", "domain": "x.example"}
        )
        assert shown.status_code == 403
    async with console_browser(base_url) as browser:
        await log_in(browser, world.clinic_admin)
        refused = await browser.post(
            "/admin/orgs/verify", {"org": "Hospital", "domain": "x.example"}
        )
        assert refused.status_code == 403
    assert _audit(runtime, "domain.claim") == []

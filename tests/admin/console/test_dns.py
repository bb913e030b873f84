"""DKIM keys and DNS records over real HTTP: the records, their check, the keys made once
and audited once, and the roles that may not."""

from __future__ import annotations

import json

from sealgate.audit import AuditEntry, entries
from sealgate.bootstrap import Runtime
from tests.admin.console.console import World, add_admin, console_browser, log_in


def _audit(rt: Runtime, action: str) -> list[AuditEntry]:
    with rt.db.begin() as session:
        return list(entries(session, action=action))


async def test_an_org_admin_sees_the_records_keys_and_their_check(
    runtime: Runtime, world: World, base_url: str
):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.hospital_admin)
        page = await browser.get("/admin/dns")
        assert page.status_code == 200
        assert "_dmarc.hospital.example" in page.text and "v=spf1" in page.text
        assert "._domainkey.hospital.example" in page.text
        assert "ed25519-sha256" in page.text and "rsa-sha256" in page.text
        checked = await browser.get("/admin/dns", params={"org": "Hospital", "check": "1"})
        assert checked.status_code == 200
        assert 'class="dns-missing">missing' in checked.text
        assert "clinic.example" not in checked.text
    [entry] = _audit(runtime, "dkim.create")  # the keys were made by the first view only
    assert (entry.organisation, entry.actor_id) == ("Hospital", "hanna@hospital.example")
    assert json.loads(entry.details)["keys"] >= 2


async def test_roles_without_policy_read_elsewhere_are_refused(
    runtime: Runtime, world: World, base_url: str
):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.clinic_admin)
        assert (await browser.get("/admin/dns", params={"org": "Hospital"})).status_code == 403
    helpdesk = add_admin(runtime, "hugo@hospital.example", "Hospital", "helpdesk")
    async with console_browser(base_url) as browser:
        await log_in(browser, helpdesk)  # policy.read: reads the records
        assert (await browser.get("/admin/dns")).status_code == 200
    assert [e.organisation for e in _audit(runtime, "dkim.create")] == ["Hospital"]

"""Organisations and domains over real HTTP: the listing, the operator's create, IDD."""

from __future__ import annotations

import json

from sqlalchemy import select

from sealgate.audit import AuditEntry, entries
from sealgate.bootstrap import Runtime
from sealgate.directory import list_orgs
from sealgate.store import Domain
from tests.admin.console.console import World, console_browser, log_in


def _audit(rt: Runtime, action: str) -> list[AuditEntry]:
    with rt.db.begin() as session:
        return list(entries(session, action=action))


def _idd(rt: Runtime, domain: str) -> bool:
    with rt.db.begin() as session:
        return bool(session.scalar(select(Domain.idd).where(Domain.name == domain)))


async def test_the_operator_lists_and_creates_organisations(
    runtime: Runtime, world: World, base_url: str
):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.operator)
        page = await browser.get("/admin/orgs")
        assert page.status_code == 200
        assert "Hospital" in page.text and "clinic.example" in page.text
        created = await browser.post(
            "/admin/orgs", {"name": "Pharmacy", "domains": "pharmacy.example\nrx.example"}
        )
        assert created.status_code == 303, created.text
        duplicate = await browser.post("/admin/orgs", {"name": "Pharmacy", "domains": ""})
        assert duplicate.status_code == 400
        listed = await browser.get(created.headers["location"])
        assert "rx.example" in listed.text and "The organisation was created." in listed.text
    with runtime.db.begin() as session:
        [pharmacy] = [o for o in list_orgs(session) if o.name == "Pharmacy"]
    assert pharmacy.domains == ("pharmacy.example", "rx.example")
    [entry] = _audit(runtime, "org.create")
    assert entry.organisation == "Pharmacy" and entry.actor_id == "opal@hospital.example"
    assert json.loads(entry.details)["domains"] == ["pharmacy.example", "rx.example"]


async def test_an_org_admin_sees_its_own_switches_idd_and_cannot_create(
    runtime: Runtime, world: World, base_url: str
):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.hospital_admin)
        page = await browser.get("/admin/orgs")
        assert page.status_code == 200
        assert "hospital.example" in page.text and "clinic.example" not in page.text
        assert "Create organisation" not in page.text
        refused = await browser.post("/admin/orgs", {"name": "Rogue", "domains": ""})
        assert refused.status_code == 403
        on = await browser.post(
            "/admin/orgs/idd", {"org": "Hospital", "domain": "hospital.example", "idd": "on"}
        )
        assert on.status_code == 303
        other = await browser.post(
            "/admin/orgs/idd", {"org": "Clinic", "domain": "clinic.example", "idd": "on"}
        )
        assert other.status_code == 403
    async with console_browser(base_url) as browser:
        await log_in(browser, world.auditor)
        page = await browser.get("/admin/orgs")
        assert page.status_code == 200 and "Switch IDD" not in page.text
        refused = await browser.post(
            "/admin/orgs/idd", {"org": "Hospital", "domain": "hospital.example", "idd": "off"}
        )
        assert refused.status_code == 403
    assert _idd(runtime, "hospital.example") and not _idd(runtime, "clinic.example")
    with runtime.db.begin() as session:
        assert "Rogue" not in [o.name for o in list_orgs(session)]
    [entry] = _audit(runtime, "idd.set")
    assert (entry.organisation, entry.object_id) == ("Hospital", "hospital.example")
    assert json.loads(entry.details) == {"idd": True}
    assert _audit(runtime, "org.create") == []

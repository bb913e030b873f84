"""The NTA 7516 list over real HTTP: everyone with policy.read reads it, the operator
changes it, each change audited."""

from __future__ import annotations

from sealgate.audit import AuditEntry, entries
from sealgate.bootstrap import Runtime
from sealgate.directory import list_nta7516_domains
from tests.admin.console.console import World, console_browser, log_in


def _audit(rt: Runtime, action: str) -> list[AuditEntry]:
    with rt.db.begin() as session:
        return list(entries(session, action=action))


def _listed(rt: Runtime) -> list[str]:
    with rt.db.begin() as session:
        return list_nta7516_domains(session)


async def test_the_operator_adds_and_removes_a_domain(
    runtime: Runtime, world: World, base_url: str
):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.operator)
        assert (await browser.get("/admin/nta7516")).status_code == 200
        added = await browser.post("/admin/nta7516", {"domain": "Zorg.Example"})
        assert added.status_code == 303
        assert "zorg.example" in (await browser.get(added.headers["location"])).text
        twice = await browser.post("/admin/nta7516", {"domain": "zorg.example"})
        assert twice.status_code == 400 and "already" in twice.text
        assert _listed(runtime) == ["zorg.example"]
        removed = await browser.post("/admin/nta7516/remove", {"domain": "zorg.example"})
        assert removed.status_code == 303
    assert _listed(runtime) == []
    [entry] = _audit(runtime, "nta7516.add")
    assert entry.object_id == "zorg.example" and entry.actor_id == "opal@hospital.example"
    [entry] = _audit(runtime, "nta7516.remove")
    assert entry.object_id == "zorg.example"


async def test_an_org_admin_reads_the_list_but_cannot_change_it(
    runtime: Runtime, world: World, base_url: str
):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.hospital_admin)
        page = await browser.get("/admin/nta7516")
        assert page.status_code == 200 and "Add to the list" not in page.text
        refused = await browser.post("/admin/nta7516", {"domain": "zorg.example"})
        assert refused.status_code == 403
    assert _listed(runtime) == [] and _audit(runtime, "nta7516.add") == []

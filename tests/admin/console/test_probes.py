"""Transport probes over real HTTP: the cached list, a run with its result shown once and
its audit entry, and the roles that may not."""

from __future__ import annotations

import json
from datetime import timedelta

from sealgate.audit import AuditEntry, entries
from sealgate.bootstrap import Runtime
from sealgate.store import TransportProbe, utcnow
from tests.admin.console.console import World, add_admin, console_browser, log_in


def _audit(rt: Runtime, action: str) -> list[AuditEntry]:
    with rt.db.begin() as session:
        return list(entries(session, action=action))


async def test_a_policy_admin_lists_cached_probes_and_runs_one(
    runtime: Runtime, world: World, base_url: str
):
    now = utcnow()
    with runtime.db.begin() as session:
        session.add(
            TransportProbe(
                domain="cached.example",
                level="pkix",
                result="{}",
                probed_at=now,
                expires_at=now + timedelta(hours=1),
            )
        )
    policy_admin = add_admin(runtime, "pia@hospital.example", "Hospital", "policy-admin")
    async with console_browser(base_url) as browser:
        await log_in(browser, policy_admin)
        page = await browser.get("/admin/probes")
        assert page.status_code == 200 and "cached.example" in page.text
        ran = await browser.post("/admin/probes", {"domain": "example.org"})
        assert ran.status_code == 303 and ran.headers["location"] == "/admin/probes"
        shown = await browser.get("/admin/probes")
        assert '<code id="probe-level">none</code>' in shown.text
        assert "Probe of example.org" in shown.text
        again = await browser.get("/admin/probes")
        assert "Probe of example.org" not in again.text
        bad = await browser.post("/admin/probes", {"domain": "not a domain"})
        assert bad.status_code == 400
    [entry] = _audit(runtime, "probe.run")
    assert (entry.actor_id, entry.object_id) == ("pia@hospital.example", "example.org")
    assert json.loads(entry.details) == {"level": "none"}


async def test_roles_without_probes_are_refused(runtime: Runtime, world: World, base_url: str):
    helpdesk = add_admin(runtime, "hugo@hospital.example", "Hospital", "helpdesk")
    async with console_browser(base_url) as browser:
        await log_in(browser, helpdesk)
        assert (await browser.get("/admin/probes")).status_code == 403
        refused = await browser.post("/admin/probes", {"domain": "example.org"})
        assert refused.status_code == 403
    async with console_browser(base_url) as browser:
        await log_in(browser, world.auditor)  # probes.read, not probes.run
        page = await browser.get("/admin/probes")
        assert page.status_code == 200 and "Probe now" not in page.text
        refused = await browser.post("/admin/probes", {"domain": "example.org"})
        assert refused.status_code == 403
    assert _audit(runtime, "probe.run") == []

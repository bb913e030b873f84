"""SMTP credentials over real HTTP: the password shown once, disable, who may, the audit."""

from __future__ import annotations

import json
import re

from sealgate.audit import AuditEntry, entries
from sealgate.bootstrap import Runtime
from sealgate.directory import CREDENTIAL_KEY_PURPOSE, list_credentials, verify_credential
from tests.admin.console.console import World, add_admin, console_browser, log_in

_SHOWN = re.compile(
    r'<code id="credential-username">(sg-[0-9a-f]+)</code>.*'
    r'<code id="credential-password">([A-Za-z0-9]+)</code>',
    re.S,
)


def _audit(rt: Runtime, action: str) -> list[AuditEntry]:
    with rt.db.begin() as session:
        return list(entries(session, action=action))


async def test_a_credential_is_shown_once_and_disabled(
    runtime: Runtime, world: World, base_url: str
):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.hospital_admin)
        assert (await browser.get("/admin/credentials")).status_code == 200
        created = await browser.post("/admin/credentials", {"org": "Hospital", "label": "EHR"})
        assert created.status_code == 303
        assert created.headers["location"] == "/admin/credentials/created?org=Hospital"
        shown = await browser.get(created.headers["location"])
        found = _SHOWN.search(shown.text)
        assert found is not None
        username, password = found.groups()
        again = await browser.get(created.headers["location"])
        assert password not in again.text and "cannot be shown again" in again.text
        assert "sgt_" not in (await browser.get("/admin/tokens/created")).text
        with runtime.db.begin() as session:
            key = runtime.subkey(CREDENTIAL_KEY_PURPOSE)
            assert verify_credential(session, username, password, key=key) is not None
        listed = await browser.get("/admin/credentials")
        assert username in listed.text and "EHR" in listed.text and password not in listed.text
        disabled = await browser.post(
            "/admin/credentials/disable", {"org": "Hospital", "username": username}
        )
        assert disabled.status_code == 303
        unknown = await browser.post(
            "/admin/credentials/disable", {"org": "Hospital", "username": "sg-nosuch"}
        )
        assert unknown.status_code == 400
    with runtime.db.begin() as session:
        [credential] = [c for c in list_credentials(session, "Hospital") if c.username == username]
        assert not credential.active
        assert verify_credential(session, username, password, key=key) is None
    [entry] = _audit(runtime, "credential.create")
    assert password not in entry.details and entry.object_id == username
    assert json.loads(entry.details) == {"label": "EHR"}
    assert (entry.actor_id, entry.organisation) == ("hanna@hospital.example", "Hospital")
    [entry] = _audit(runtime, "credential.disable")
    assert entry.object_id == username


async def test_roles_without_the_capability_are_refused(
    runtime: Runtime, world: World, base_url: str
):
    policy_admin = add_admin(runtime, "pia@hospital.example", "Hospital", "policy-admin")
    async with console_browser(base_url) as browser:
        await log_in(browser, policy_admin)
        assert (await browser.get("/admin/credentials")).status_code == 403
    async with console_browser(base_url) as browser:
        await log_in(browser, world.auditor)
        page = await browser.get("/admin/credentials")
        assert page.status_code == 200 and "Create credential" not in page.text
        refused = await browser.post("/admin/credentials", {"org": "Hospital", "label": "x"})
        assert refused.status_code == 403
    async with console_browser(base_url) as browser:
        await log_in(browser, world.clinic_admin)
        refused = await browser.post("/admin/credentials", {"org": "Hospital", "label": "x"})
        assert refused.status_code == 403
    with runtime.db.begin() as session:
        assert [c.label for c in list_credentials(session, "Hospital")] == ["tests"]
    assert _audit(runtime, "credential.create") == []

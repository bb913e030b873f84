"""The console's pages over real HTTP: each role's reach, each change and its audit entry."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from sealgate.admin import authenticate_token
from sealgate.audit import AuditEntry, entries
from sealgate.bootstrap import Runtime
from sealgate.directory import get_policy, list_contacts
from sealgate.store import Account, OutboundJob, Recipient, utcnow
from tests.admin.console.console import World, console_browser, log_in, token_ids


def _audit(rt: Runtime, action: str) -> list[AuditEntry]:
    with rt.db.begin() as session:
        return list(entries(session, action=action))


async def test_an_org_admin_finds_reads_and_revokes_a_message(
    runtime: Runtime, world: World, base_url: str
):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.hospital_admin)
        found = await browser.get("/admin/messages", params={"recipient": "bob@example.org"})
        assert found.status_code == 200
        assert f"/admin/messages/{world.message_id}" in found.text
        page = await browser.get(f"/admin/messages/{world.message_id}")
        assert page.status_code == 200
        assert "Lab results" not in page.text  # the subject is content: never shown
        assert "email_verification" in page.text and "the policy allows it" in page.text
        assert "skipped" in page.text and "Conversation 1" in page.text
        revoked = await browser.post(f"/admin/messages/{world.message_id}/revoke")
        assert revoked.status_code == 303
        assert revoked.headers["location"] == f"/admin/messages/{world.message_id}?done=revoked"
        after = await browser.get(revoked.headers["location"])
        assert "revoked" in after.text
    with runtime.db.begin() as session:
        rows = session.scalars(select(Recipient).where(Recipient.message_id == world.message_id))
        assert all(row.revoked_at is not None for row in rows)
    [entry] = _audit(runtime, "message.revoke")
    assert (entry.actor_kind, entry.actor_id) == ("account", "hanna@hospital.example")
    assert (entry.organisation, entry.object_id) == ("Hospital", world.message_id)
    assert sorted(json.loads(entry.details)["revoked"]) == ["bob@example.org", "carol@example.net"]


async def test_an_auditor_reads_but_cannot_revoke(runtime: Runtime, world: World, base_url: str):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.auditor)
        page = await browser.get(f"/admin/messages/{world.message_id}")
        assert page.status_code == 200
        assert "Revoke for all recipients" not in page.text
        refused = await browser.post(f"/admin/messages/{world.message_id}/revoke")
        assert refused.status_code == 403 and "Not allowed" in refused.text
        assert (await browser.get("/admin/accounts")).status_code == 200  # accounts.read
        create = await browser.post(
            "/admin/accounts", {"org": "Hospital", "email": "x@hospital.example"}
        )
        assert create.status_code == 403
        assert (await browser.get("/admin/tokens")).status_code == 403
    with runtime.db.begin() as session:
        rows = session.scalars(select(Recipient).where(Recipient.message_id == world.message_id))
        assert all(row.revoked_at is None for row in rows)
        assert (
            session.scalar(select(Account.id).where(Account.email == "x@hospital.example")) is None
        )
    assert _audit(runtime, "message.revoke") == []


async def test_a_clinic_admin_cannot_see_hospitals_messages_or_accounts(
    runtime: Runtime, world: World, base_url: str
):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.clinic_admin)
        found = await browser.get("/admin/messages", params={"sender": "alice@hospital.example"})
        assert found.status_code == 200 and world.message_id not in found.text
        assert (await browser.get(f"/admin/messages/{world.message_id}")).status_code == 403
        assert (await browser.post(f"/admin/messages/{world.message_id}/revoke")).status_code == 403
        assert (await browser.get("/admin/accounts", params={"org": "Hospital"})).status_code == 403
        own = await browser.get("/admin/accounts")
        assert "cleo@clinic.example" in own.text and "hanna@hospital.example" not in own.text
        disable = await browser.post("/admin/accounts/disable", {"email": "alice@hospital.example"})
        assert disable.status_code == 403
        grant = await browser.post(
            "/admin/roles/grant", {"email": "alice@hospital.example", "role": "auditor"}
        )
        assert grant.status_code == 403
        audit = await browser.get("/admin/audit")
        assert "hanna@hospital.example" not in audit.text
    with runtime.db.begin() as session:
        assert session.scalar(
            select(Account.active).where(Account.email == "alice@hospital.example")
        )


async def test_accounts_are_created_disabled_enabled_and_reset(
    runtime: Runtime, world: World, base_url: str
):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.hospital_admin)
        created = await browser.post(
            "/admin/accounts", {"org": "Hospital", "email": "new@hospital.example", "name": "New"}
        )
        assert created.status_code == 303, created.text
        listed = await browser.get(created.headers["location"])
        assert "new@hospital.example" in listed.text and "invitation mailed" in listed.text
        duplicate = await browser.post(
            "/admin/accounts", {"org": "Hospital", "email": "new@hospital.example"}
        )
        assert duplicate.status_code == 400
        for verb in ("disable", "enable", "reset-2fa"):
            done = await browser.post(
                f"/admin/accounts/{verb}", {"email": "alice@hospital.example"}
            )
            assert done.status_code == 303, (verb, done.text)
    with runtime.db.begin() as session:
        invitation = session.scalars(select(OutboundJob).where(OutboundJob.kind == "account")).one()
        assert invitation.rcpt_to == "new@hospital.example"
        assert session.scalar(
            select(Account.active).where(Account.email == "alice@hospital.example")
        )
    for action in ("account.add", "account.disable", "account.enable", "account.reset-2fa"):
        [entry] = _audit(runtime, action)
        assert entry.actor_id == "hanna@hospital.example" and entry.organisation == "Hospital"


async def test_roles_are_granted_within_the_org_and_operator_only_by_an_operator(
    runtime: Runtime, world: World, base_url: str
):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.hospital_admin)
        granted = await browser.post(
            "/admin/roles/grant", {"email": "alice@hospital.example", "role": "helpdesk"}
        )
        assert granted.status_code == 303
        page = await browser.get(granted.headers["location"])
        assert "helpdesk" in page.text
        operator = await browser.post(
            "/admin/roles/grant", {"email": "alice@hospital.example", "role": "operator"}
        )
        assert operator.status_code == 403
        again = await browser.post(
            "/admin/roles/grant", {"email": "alice@hospital.example", "role": "helpdesk"}
        )
        assert again.status_code == 400 and "already holds" in again.text
        revoked = await browser.post(
            "/admin/roles/revoke", {"email": "alice@hospital.example", "role": "helpdesk"}
        )
        assert revoked.status_code == 303
    [grant] = _audit(runtime, "role.grant")
    assert json.loads(grant.details) == {"role": "helpdesk"}
    assert len(_audit(runtime, "role.revoke")) == 1


async def test_an_api_token_is_shown_once_and_revoked(
    runtime: Runtime, world: World, base_url: str
):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.hospital_admin)
        created = await browser.post(
            "/admin/tokens", {"org": "Hospital", "name": "ehr", "role": "auditor", "days": "30"}
        )
        assert created.status_code == 303
        assert created.headers["location"].startswith("/admin/tokens/created")
        shown = await browser.get(created.headers["location"])
        secret = re.search(r'<code id="token-secret">(sgt_[A-Za-z0-9_-]+)</code>', shown.text)
        assert secret is not None
        again = await browser.get(created.headers["location"])
        assert "sgt_" not in again.text and "cannot be shown again" in again.text
        with runtime.db.begin() as session:
            principal = authenticate_token(session, secret.group(1), utcnow())
            assert principal is not None
        listed = await browser.get("/admin/tokens")
        [token_id] = token_ids(listed.text)
        revoked = await browser.post("/admin/tokens/revoke", {"id": str(token_id)})
        assert revoked.status_code == 303
    with runtime.db.begin() as session:
        assert authenticate_token(session, secret.group(1), utcnow()) is None
    [entry] = _audit(runtime, "token.create")
    assert secret.group(1) not in entry.details and entry.object_id == str(token_id)
    assert len(_audit(runtime, "token.revoke")) == 1


async def test_the_policy_is_changed(runtime: Runtime, world: World, base_url: str):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.hospital_admin)
        page = await browser.get("/admin/policy")
        assert page.status_code == 200
        saved = await browser.post(
            "/admin/policy",
            {
                "org": "Hospital",
                "sms": "on",
                "email_verification": "on",
                "tsc": "dane",
                "access_code_min_length": "8",
                "expiry_days": "30",
                "retention_days": "90",
            },
        )
        assert saved.status_code == 303, saved.text
        bad = await browser.post(
            "/admin/policy",
            {
                "org": "Hospital",
                "tsc": "bogus",
                "access_code_min_length": "8",
                "retention_days": "1",
            },
        )
        assert bad.status_code == 400
    with runtime.db.begin() as session:
        policy = get_policy(session, "Hospital")
    assert (policy.tsc, policy.access_code, policy.expiry_days) == ("dane", False, 30)
    [entry] = _audit(runtime, "policy.set")
    assert json.loads(entry.details)["changed"]["tsc"] == "dane"


async def test_contacts_are_added_and_removed(runtime: Runtime, world: World, base_url: str):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.hospital_admin)
        added = await browser.post(
            "/admin/contacts",
            {
                "org": "Hospital",
                "recipient": "pat@example.org",
                "kind": "access_code",
                "access_code": "s3cret-code-99",
                "hint": "your birthday",
            },
        )
        assert added.status_code == 303, added.text
        page = await browser.get(added.headers["location"])
        assert "pat@example.org" in page.text and "s3cret-code-99" not in page.text
        removed = await browser.post(
            "/admin/contacts/remove",
            {"org": "Hospital", "recipient": "pat@example.org", "kind": "access_code"},
        )
        assert removed.status_code == 303
    with runtime.db.begin() as session:
        assert list_contacts(session, "Hospital") == []
    [entry] = _audit(runtime, "contacts.add")
    assert "s3cret" not in entry.details and entry.object_id == "pat@example.org"
    assert len(_audit(runtime, "contacts.remove")) == 1


async def test_the_audit_trail_lists_and_verifies(runtime: Runtime, world: World, base_url: str):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.auditor)
        page = await browser.get("/admin/audit", params={"action": "admin"})
        assert page.status_code == 200 and "otto@hospital.example" in page.text
        verified = await browser.get("/admin/audit/verify")
        assert verified.status_code == 200 and "The chain is intact" in verified.text


async def test_a_form_without_its_token_is_refused(runtime: Runtime, world: World, base_url: str):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.operator)
        browser.csrf = "forged"
        refused = await browser.post(f"/admin/messages/{world.message_id}/revoke")
        assert refused.status_code == 403
    assert _audit(runtime, "message.revoke") == []

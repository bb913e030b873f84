"""A message's actions over real HTTP: revoke and reopen one recipient or all, set and clear
the expiry, unlock a recipient and resend its notification (helpdesk), each audited, and the
roles that may not."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from sealgate.audit import AuditEntry, entries
from sealgate.bootstrap import Runtime
from sealgate.store import OutboundJob, Recipient
from tests.admin.console.console import World, add_admin, console_browser, log_in

BOB, CAROL = "bob@example.org", "carol@example.net"


def _audit(rt: Runtime, action: str) -> list[AuditEntry]:
    with rt.db.begin() as session:
        return list(entries(session, action=action))


def _rows(rt: Runtime, message_id: str) -> dict[str, Recipient]:
    with rt.db.begin() as session:
        rows = session.scalars(select(Recipient).where(Recipient.message_id == message_id))
        found = {row.address: row for row in rows}
        session.expunge_all()
        return found


async def test_an_org_admin_revokes_reopens_and_expires_one_recipient(
    runtime: Runtime, world: World, base_url: str
):
    page = f"/admin/messages/{world.message_id}"
    async with console_browser(base_url) as browser:
        await log_in(browser, world.hospital_admin)
        revoked = await browser.post(page + "/revoke", {"recipient": BOB})
        assert revoked.status_code == 303 and revoked.headers["location"] == page + "?done=revoked"
        rows = _rows(runtime, world.message_id)
        assert rows[BOB].revoked_at is not None and rows[CAROL].revoked_at is None
        reopened = await browser.post(page + "/unrevoke", {"recipient": BOB})
        assert reopened.status_code == 303
        shown = await browser.get(reopened.headers["location"])
        assert "The links were reopened." in shown.text
        assert _rows(runtime, world.message_id)[BOB].revoked_at is None
        expired = await browser.post(page + "/expire", {"recipient": CAROL, "days": "7"})
        assert expired.status_code == 303
        rows = _rows(runtime, world.message_id)
        assert rows[CAROL].expires_at is not None and rows[BOB].expires_at is None
        bad = await browser.post(page + "/expire", {"days": "soon"})
        assert bad.status_code == 400 and "whole number" in bad.text
        never = await browser.post(page + "/expire", {"recipient": "", "never": "1"})
        assert never.status_code == 303
        assert all(row.expires_at is None for row in _rows(runtime, world.message_id).values())
        stranger = await browser.post(page + "/revoke", {"recipient": "eve@example.org"})
        assert stranger.status_code == 400 and "is not a recipient" in stranger.text
        unknown = await browser.post(page + "/explode", {})
        assert unknown.status_code == 404
    [entry] = _audit(runtime, "message.revoke")
    assert json.loads(entry.details)["recipient"] == BOB
    assert json.loads(entry.details)["revoked"] == [BOB]
    [entry] = _audit(runtime, "message.unrevoke")
    assert entry.actor_id == "hanna@hospital.example" and entry.organisation == "Hospital"
    first, second = _audit(runtime, "message.expire")
    assert json.loads(first.details)["recipient"] == CAROL
    assert json.loads(second.details)["expires_at"] is None


async def test_the_helpdesk_unlocks_and_resends_but_does_not_revoke(
    runtime: Runtime, world: World, base_url: str
):
    with runtime.db.begin() as session:
        row = session.scalars(
            select(Recipient).where(
                Recipient.message_id == world.message_id, Recipient.address == BOB
            )
        ).one()
        row.access_code_attempts = 5
        bob_id = row.id
    helpdesk = add_admin(runtime, "hugo@hospital.example", "Hospital", "helpdesk")
    page = f"/admin/messages/{world.message_id}"
    async with console_browser(base_url) as browser:
        await log_in(browser, helpdesk)
        shown = await browser.get(page)
        assert "Unlock" in shown.text and "Send a new notification" in shown.text
        assert "Revoke for all recipients" not in shown.text
        unlocked = await browser.post(page + "/unlock", {"recipient": BOB})
        assert unlocked.status_code == 303
        done = await browser.get(unlocked.headers["location"])
        assert "The recipient was unlocked." in done.text
        resent = await browser.post(page + "/resend", {"recipient": BOB})
        assert resent.status_code == 303 and resent.headers["location"].endswith("done=resent")
        nobody = await browser.post(page + "/unlock", {})
        assert nobody.status_code == 400 and "choose a recipient" in nobody.text
        refused = await browser.post(page + "/revoke", {})
        assert refused.status_code == 403
    assert _rows(runtime, world.message_id)[BOB].access_code_attempts == 0
    with runtime.db.begin() as session:
        jobs = session.scalar(
            select(func.count(OutboundJob.id)).where(
                OutboundJob.recipient_id == bob_id, OutboundJob.kind == "notification"
            )
        )
    assert jobs == 1
    [unlock] = _audit(runtime, "message.unlock")
    assert json.loads(unlock.details)["before"]["access_code_attempts"] == 5
    [resend] = _audit(runtime, "message.resend")
    assert resend.actor_id == "hugo@hospital.example" and resend.object_id == world.message_id
    assert _audit(runtime, "message.revoke") == []


async def test_an_auditor_and_another_organisation_change_nothing(
    runtime: Runtime, world: World, base_url: str
):
    page = f"/admin/messages/{world.message_id}"
    for admin in (world.auditor, world.clinic_admin):
        async with console_browser(base_url) as browser:
            await log_in(browser, admin)
            for action in ("revoke", "unrevoke", "expire", "unlock", "resend"):
                answer = await browser.post(page + f"/{action}", {"recipient": BOB, "days": "3"})
                assert answer.status_code == 403, (admin.email, action)
    assert all(
        not _audit(runtime, f"message.{verb}")
        for verb in ("revoke", "unrevoke", "expire", "unlock", "resend")
    )

"""A message's evidence over real HTTP: events, head, verdict, the PDF, each view audited."""

from __future__ import annotations

import json

from sealgate.audit import AuditEntry, entries
from sealgate.bootstrap import Runtime
from sealgate.evidence import ACCEPTED, DECIDED, head, load, record
from sealgate.store import Recipient
from tests.admin.console.console import World, add_admin, console_browser, log_in


def record_events(rt: Runtime, message_id: str) -> None:
    with rt.db.begin() as session:
        record(session, message_id, ACCEPTED, client="192.0.2.7")
        recipient = session.query(Recipient).filter_by(message_id=message_id).first()
        assert recipient is not None
        record(session, message_id, DECIDED, recipient_id=recipient.id, method="portal")


def _audit(rt: Runtime, action: str) -> list[AuditEntry]:
    with rt.db.begin() as session:
        return list(entries(session, action=action))


async def test_an_auditor_reads_the_evidence_and_downloads_the_pdf(
    runtime: Runtime, world: World, base_url: str
):
    record_events(runtime, world.message_id)
    with runtime.db.begin() as session:
        events = load(session, world.message_id)
    assert len(events) == 2
    async with console_browser(base_url) as browser:
        await log_in(browser, world.auditor)
        message = await browser.get(f"/admin/messages/{world.message_id}")
        assert f"/admin/messages/{world.message_id}/evidence" in message.text
        page = await browser.get(f"/admin/messages/{world.message_id}/evidence")
        assert page.status_code == 200
        assert f'<code id="evidence-head">{head(events)}</code>' in page.text
        assert "The chain verifies" in page.text and events[0].kind in page.text
        assert "Lab results" not in page.text
        pdf = await browser.get(f"/admin/messages/{world.message_id}/evidence.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert pdf.headers["content-type"] == "application/pdf"
    views = _audit(runtime, "message.evidence")
    assert [json.loads(v.details)["format"] for v in views] == ["html", "pdf"]
    assert all(
        (v.actor_id, v.organisation, v.object_id)
        == ("otto@hospital.example", "Hospital", world.message_id)
        for v in views
    )


async def test_roles_without_evidence_read_are_refused(
    runtime: Runtime, world: World, base_url: str
):
    helpdesk = add_admin(runtime, "hugo@hospital.example", "Hospital", "helpdesk")
    async with console_browser(base_url) as browser:
        await log_in(browser, helpdesk)
        message = await browser.get(f"/admin/messages/{world.message_id}")
        assert message.status_code == 200 and "/evidence" not in message.text
        page = await browser.get(f"/admin/messages/{world.message_id}/evidence")
        assert page.status_code == 403
        pdf = await browser.get(f"/admin/messages/{world.message_id}/evidence.pdf")
        assert pdf.status_code == 403
    async with console_browser(base_url) as browser:
        await log_in(browser, world.clinic_admin)
        page = await browser.get(f"/admin/messages/{world.message_id}/evidence")
        assert page.status_code == 403
        assert (await browser.get("/admin/messages/nosuch/evidence")).status_code == 404
    assert _audit(runtime, "message.evidence") == []

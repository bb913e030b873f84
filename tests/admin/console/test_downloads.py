"""The console's downloads over real HTTP: the audit trail as JSON lines or CSV (by dates,
scoped to the auditor's organisation) and the shared contact book as CSV, each recorded."""

from __future__ import annotations

import csv
import io
import json

from sealgate.audit import AuditEntry, entries, record
from sealgate.bootstrap import Runtime
from sealgate.directory import add_contact
from sealgate.store import utcnow
from tests.admin.console.console import World, add_admin, console_browser, log_in


def _audit(rt: Runtime, action: str) -> list[AuditEntry]:
    with rt.db.begin() as session:
        return list(entries(session, action=action))


async def test_an_auditor_downloads_its_organisations_trail(
    runtime: Runtime, world: World, base_url: str
):
    with runtime.db.begin() as session:
        record(session, "test.hospital", "cli:test", organisation="Hospital")
        record(session, "test.clinic", "cli:test", organisation="Clinic")
    today = utcnow().date().isoformat()
    async with console_browser(base_url) as browser:
        await log_in(browser, world.auditor)
        page = await browser.get("/admin/audit")
        assert 'action="/admin/audit/export"' in page.text
        lines = await browser.get("/admin/audit/export", params={"format": "jsonl"})
        assert lines.status_code == 200, lines.text
        assert lines.headers["content-type"].startswith("application/x-ndjson")
        assert 'filename="audit.jsonl"' in lines.headers["content-disposition"]
        actions = [json.loads(line)["action"] for line in lines.text.splitlines()]
        assert "test.hospital" in actions and "test.clinic" not in actions
        table = await browser.get(
            "/admin/audit/export", params={"format": "csv", "since": today, "until": today}
        )
        assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(table.text)))
        assert "test.hospital" in [row["action"] for row in rows]
        past = await browser.get("/admin/audit/export", params={"until": "2001-01-01"})
        assert past.status_code == 200 and past.text == ""
        bad = await browser.get("/admin/audit/export", params={"format": "xml"})
        assert bad.status_code == 400
    exports = _audit(runtime, "audit.export")
    assert len(exports) == 3 and exports[0].actor_id == "otto@hospital.example"
    assert json.loads(exports[1].details)["format"] == "csv"


async def test_an_admin_without_audit_read_downloads_nothing(
    runtime: Runtime, world: World, base_url: str
):
    helpdesk = add_admin(runtime, "hugo@hospital.example", "Hospital", "helpdesk")
    async with console_browser(base_url) as browser:
        await log_in(browser, helpdesk)
        answer = await browser.get("/admin/audit/export", params={"format": "csv"})
        assert answer.status_code == 403
    assert _audit(runtime, "audit.export") == []


async def test_the_shared_book_downloads_as_csv_without_codes(
    runtime: Runtime, world: World, base_url: str
):
    with runtime.db.begin() as session:
        add_contact(session, "Hospital", "pat@example.org", phone="+31612345678")
        add_contact(session, "Hospital", "quinn@example.net", access_code="secret-code-123")
        add_contact(session, "Clinic", "cody@example.org", phone="+31612345679")
    async with console_browser(base_url) as browser:
        await log_in(browser, world.hospital_admin)
        page = await browser.get("/admin/contacts")
        assert "/admin/contacts/export?org=Hospital" in page.text
        answer = await browser.get("/admin/contacts/export", params={"org": "Hospital"})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        assert "attachment" in answer.headers["content-disposition"]
        assert "pat@example.org" in answer.text and "quinn@example.net" in answer.text
        assert "secret-code-123" not in answer.text and "cody@" not in answer.text
        excel = await browser.get(
            "/admin/contacts/export", params={"org": "Hospital", "excel": "1"}
        )
        assert excel.status_code == 200 and ";" in excel.text
        other = await browser.get("/admin/contacts/export", params={"org": "Clinic"})
        assert other.status_code == 403
    first, second = _audit(runtime, "contacts.export")
    assert (first.organisation, json.loads(first.details)) == (
        "Hospital",
        {"rows": 2, "excel": False},
    )
    assert json.loads(second.details)["excel"] is True

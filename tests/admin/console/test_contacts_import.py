"""The contacts CSV import page: upload → per-row report (nothing written) → confirm → written.

The planner is the directory's (`plan_contacts_import`), shared with `sealgate contacts
import`.
"""

from __future__ import annotations

import json

from sealgate.audit import entries
from sealgate.bootstrap import Runtime
from sealgate.directory import list_contacts
from tests.admin.console.console import World, console_browser, log_in

CSV = (
    "email_address,full_name,phone_number,access_code,access_code_hint\n"
    "pat@example.org,Pat Peters,+31612345678,,\n"
    "not an address,Bad Row,+31612345678,,\n"
    "quinn@example.net,Quinn,,longenough-code,the usual\n"
)


def _book(rt: Runtime) -> list[str]:
    with rt.db.begin() as session:
        return sorted(entry.address for entry in list_contacts(session, "Hospital"))


async def test_an_import_is_reported_before_anything_is_written(
    runtime: Runtime, world: World, base_url: str
):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.hospital_admin)
        form = await browser.get("/admin/contacts/import")
        assert form.status_code == 200
        uploaded = await browser.post(
            "/admin/contacts/import",
            {"org": "Hospital"},
            files={"file": ("contacts.csv", CSV.encode(), "text/csv")},
        )
        assert uploaded.status_code == 303, uploaded.text
        report = await browser.get(uploaded.headers["location"])
        assert report.status_code == 200
        assert "2 rows can be imported, 1 are rejected" in report.text
        assert report.text.count('class="rejected"') == 1
        assert "longenough-code" not in report.text
        assert _book(runtime) == []  # the report wrote nothing
        again = await browser.get("/admin/contacts/import/report")
        assert again.status_code == 200 and _book(runtime) == []
        confirmed = await browser.post("/admin/contacts/import/confirm")
        assert confirmed.status_code == 303
        assert "done=imported" in confirmed.headers["location"]
        gone = await browser.get("/admin/contacts/import/report")
        assert gone.status_code == 303  # the file was used up
    assert _book(runtime) == ["pat@example.org", "quinn@example.net"]
    with runtime.db.begin() as session:
        [entry] = list(entries(session, action="contacts.import"))
    assert entry.actor_id == "hanna@hospital.example"
    assert json.loads(entry.details) == {"written": 2, "rejected_lines": [3]}
    assert "longenough" not in entry.details


async def test_an_auditor_cannot_import(runtime: Runtime, world: World, base_url: str):
    async with console_browser(base_url) as browser:
        await log_in(browser, world.auditor)
        answer = await browser.get("/admin/contacts/import")
        assert answer.status_code == 403
        uploaded = await browser.post(
            "/admin/contacts/import",
            {"org": "Hospital"},
            files={"file": ("contacts.csv", CSV.encode(), "text/csv")},
        )
        assert uploaded.status_code == 403
    assert _book(runtime) == []

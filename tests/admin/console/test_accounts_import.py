"""The accounts CSV import page: upload → per-row report (nothing written) → confirm →
written and invited; a role only from an admin who may grant roles; the auditor may not.

The planner and writer are those of `sealgate account import` and the REST API.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from sealgate.admin import list_grants
from sealgate.audit import entries
from sealgate.bootstrap import Runtime
from sealgate.store import Account
from tests.admin.console.console import World, console_browser, log_in
from tests.admin.console.test_contacts_import import CSV as CONTACTS_CSV

ACCOUNTS_CSV = (
    "email_address,full_name,role\n"
    "pia@hospital.example,Pia Peters,helpdesk\n"
    "rob@elsewhere.example,Rob Wrongdomain,\n"
    "sam@hospital.example,Sam,\n"
)


def account_emails(rt: Runtime) -> list[str]:
    with rt.db.begin() as session:
        return sorted(session.scalars(select(Account.email)))


async def test_an_import_is_reported_before_anything_is_written(
    runtime: Runtime, world: World, base_url: str
):
    before = account_emails(runtime)
    async with console_browser(base_url) as browser:
        await log_in(browser, world.hospital_admin)
        listing = await browser.get("/admin/accounts")
        assert "/admin/accounts/import?org=Hospital" in listing.text
        form = await browser.get("/admin/accounts/import")
        assert form.status_code == 200 and "Import accounts into Hospital" in form.text
        uploaded = await browser.post(
            "/admin/accounts/import",
            {"org": "Hospital"},
            files={"file": ("accounts.csv", ACCOUNTS_CSV.encode(), "text/csv")},
        )
        assert uploaded.status_code == 303, uploaded.text
        assert uploaded.headers["location"] == "/admin/accounts/import/report"
        report = await browser.get(uploaded.headers["location"])
        assert report.status_code == 200
        assert "2 rows can be imported, 1 are rejected" in report.text
        assert report.text.count('class="rejected"') == 1 and "helpdesk" in report.text
        assert account_emails(runtime) == before  # the report wrote nothing
        # A contacts report does not see the accounts file.
        other = await browser.get("/admin/contacts/import/report")
        assert other.status_code == 303
        confirmed = await browser.post("/admin/accounts/import/confirm")
        assert confirmed.status_code == 303
        assert confirmed.headers["location"] == "/admin/accounts?org=Hospital&done=imported"
        done = await browser.get(confirmed.headers["location"])
        assert "new accounts invited" in done.text and "pia@hospital.example" in done.text
        gone = await browser.get("/admin/accounts/import/report")
        assert gone.status_code == 303
    assert account_emails(runtime) == sorted(
        [*before, "pia@hospital.example", "sam@hospital.example"]
    )
    with runtime.db.begin() as session:
        roles = {(g.email, g.role.value) for g in list_grants(session, "Hospital")}
        [entry] = list(entries(session, action="accounts.import"))
    assert ("pia@hospital.example", "helpdesk") in roles
    assert entry.actor_id == "hanna@hospital.example" and entry.organisation == "Hospital"
    details = json.loads(entry.details)
    assert details["written"] == 2 and details["rejected_lines"] == [3]
    assert sorted(details["invited"]) == ["pia@hospital.example", "sam@hospital.example"]


async def test_a_cancelled_or_foreign_file_writes_nothing(
    runtime: Runtime, world: World, base_url: str
):
    before = account_emails(runtime)
    async with console_browser(base_url) as browser:
        await log_in(browser, world.hospital_admin)
        await browser.post(
            "/admin/contacts/import",
            {"org": "Hospital"},
            files={"file": ("contacts.csv", CONTACTS_CSV.encode(), "text/csv")},
        )
        # The contacts file is not an accounts import.
        assert (await browser.get("/admin/accounts/import/report")).status_code == 303
        assert (await browser.post("/admin/accounts/import/confirm")).status_code == 303
        await browser.post(
            "/admin/accounts/import",
            {"org": "Hospital"},
            files={"file": ("accounts.csv", ACCOUNTS_CSV.encode(), "text/csv")},
        )
        cancelled = await browser.post("/admin/accounts/import/cancel")
        assert cancelled.status_code == 303 and cancelled.headers["location"] == "/admin/accounts"
        assert (await browser.get("/admin/accounts/import/report")).status_code == 303
    async with console_browser(base_url) as browser:
        await log_in(browser, world.auditor)
        assert (await browser.get("/admin/accounts/import")).status_code == 403
        uploaded = await browser.post(
            "/admin/accounts/import",
            {"org": "Hospital"},
            files={"file": ("accounts.csv", ACCOUNTS_CSV.encode(), "text/csv")},
        )
        assert uploaded.status_code == 403
    async with console_browser(base_url) as browser:
        await log_in(browser, world.clinic_admin)
        answer = await browser.get("/admin/accounts/import", params={"org": "Hospital"})
        assert answer.status_code == 403
    assert account_emails(runtime) == before
    with runtime.db.begin() as session:
        assert list(entries(session, action="accounts.import")) == []

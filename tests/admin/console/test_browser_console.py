"""The console in a real browser (Debian chromium, Playwright): log in with TOTP, create an
account, import a contacts CSV with one bad row (when this build has the importer), find a
message, read its decision trace, revoke it; and axe (WCAG 2.2 A/AA) on the queue,
credential, evidence, organisation, NTA 7516, DNS and probe pages.

What only a browser shows: the admin cookie (Secure, SameSite=Strict, Path=/admin) works on
http://127.0.0.1, the forms post with the Origin and Sec-Fetch-Site a browser sends and
pass the CSRF guard, and the pages load under the page CSP with no violation.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.store import Account, Recipient
from tests.admin.console.console import World, log_in_page
from tests.admin.console.test_contacts_import import CSV
from tests.admin.console.test_evidence import record_events
from tests.admin.console.test_queue import queued_job
from tests.lab.axe import note_axe_violations
from tests.lab.browser import chromium, csp_violations, pytestmark

__all__ = ["pytestmark"]


def test_an_admin_logs_in_creates_an_account_and_revokes_a_message(
    runtime: Runtime, world: World, base_url: str
):
    admin = world.hospital_admin
    with chromium() as browser:
        page = browser.new_context().new_page()
        violations = csp_violations(page)
        page.goto(f"{base_url}/admin")
        page.wait_for_url(f"{base_url}/admin/login")
        log_in_page(page, base_url, admin)
        assert page.get_by_role("heading", name="Messages per day and method").is_visible()

        page.get_by_role("link", name="Accounts").click()
        new_account = page.locator("form[action='/admin/accounts']")
        new_account.get_by_label("Email address").fill("nina@hospital.example")
        new_account.get_by_label("Name").fill("Nina Nieuw")
        page.get_by_role("button", name="Add and send invitation").click()
        page.get_by_text("The account was added and its invitation mailed.").wait_for()
        assert page.get_by_role("cell", name="nina@hospital.example", exact=True).is_visible()

        _import_contacts(page)

        page.get_by_role("link", name="Messages").click()
        page.get_by_label("Recipient", exact=True).fill("carol@example.net")
        page.get_by_role("button", name="Search").click()
        page.locator(f"a[href='/admin/messages/{world.message_id}']").click()
        page.wait_for_url(f"{base_url}/admin/messages/{world.message_id}")
        trace = page.locator("pre.trace").inner_text()
        assert "email_verification" in trace and "the policy allows it" in trace
        page.get_by_role("button", name="Revoke for all recipients").click()
        page.get_by_text("The message's links were revoked.").wait_for()

        page.get_by_role("link", name="Audit trail").click()
        assert page.get_by_role("cell", name="message.revoke", exact=True).is_visible()
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(f"{base_url}/admin/login")
        assert violations == []
    with runtime.db.begin() as session:
        assert session.scalar(select(Account.id).where(Account.email == "nina@hospital.example"))
        rows = session.scalars(select(Recipient).where(Recipient.message_id == world.message_id))
        assert all(row.revoked_at is not None for row in rows)


def _import_contacts(page) -> None:  # type: ignore[no-untyped-def]
    """Upload a CSV with one bad row: reported, nothing written until confirmed."""
    page.get_by_role("link", name="Contacts").click()
    page.get_by_role("link", name="Import contacts from a CSV file").click()
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "contacts.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
    )
    page.get_by_role("button", name="Check the file").click()
    page.get_by_text("2 rows can be imported, 1 are rejected").wait_for()
    assert page.locator("tr.rejected").count() == 1
    page.get_by_role("button", name="Import the accepted rows").click()
    page.get_by_text("The accepted rows were imported.").wait_for()
    assert page.get_by_role("cell", name="quinn@example.net", exact=True).is_visible()


NEW_PAGES = (
    "/admin/queue",
    "/admin/credentials",
    "/admin/orgs",
    "/admin/nta7516",
    "/admin/dns",
    "/admin/probes",
)


def test_the_operator_pages_pass_axe(runtime: Runtime, world: World, base_url: str):
    """axe (WCAG 2.2 A/AA) on the queue, credential, evidence, organisation, NTA 7516, DNS
    and probe pages, each with its forms and a table filled, and no CSP violation."""

    record_events(runtime, world.message_id)
    queued_job(runtime, world, "queued@example.org")
    admin = world.operator
    found: list[str] = []
    with chromium() as browser:
        page = browser.new_context().new_page()
        violations = csp_violations(page)

        check = partial(note_axe_violations, page, found)

        page.goto(f"{base_url}/admin/login")
        log_in_page(page, base_url, admin)
        for path in NEW_PAGES:
            page.goto(base_url + path)
            check()
        page.goto(f"{base_url}/admin/credentials")
        page.get_by_label("Label").fill("EHR")
        page.get_by_role("button", name="Create credential").click()
        page.wait_for_url(f"{base_url}/admin/credentials/created?org=Hospital")
        assert page.locator("#credential-password").inner_text()
        check()
        page.goto(f"{base_url}/admin/nta7516")
        page.get_by_label("Domain").fill("zorg.example")
        page.get_by_role("button", name="Add to the list").click()
        page.get_by_text("The domain was added to the list.").wait_for()
        check()
        page.goto(f"{base_url}/admin/messages/{world.message_id}")
        page.get_by_role("link", name="Proof of delivery").click()
        page.get_by_text("The chain verifies").wait_for()
        check()
        page.goto(f"{base_url}/admin/dns?org=Hospital&check=1")
        check()
        assert violations == []
    assert not found, "axe: WCAG violations:\n" + "\n".join(found)

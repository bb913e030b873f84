"""The console's newer forms in a real browser (Debian chromium, Playwright), with axe (WCAG
2.2 A/AA) on each page they show: claim a domain and verify it against a DNS server on
loopback, import an accounts CSV with one bad row (nothing written until confirmed), and
unlock and resend for one recipient of a message.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.store import Domain, Recipient
from tests.admin.console.console import World, claim_zone, log_in_page, zone_settings
from tests.admin.console.test_accounts_import import ACCOUNTS_CSV, account_emails
from tests.delivery.dns_zone import DnsZone
from tests.lab.axe import note_axe_violations
from tests.lab.browser import chromium, csp_violations, pytestmark

# These tests resolve through claim_zone, a DNS server on loopback.
settings = zone_settings
__all__ = ["claim_zone", "pytestmark", "settings"]


def test_an_admin_claims_a_domain_imports_accounts_and_unlocks_a_recipient(
    runtime: Runtime, world: World, base_url: str, claim_zone: DnsZone
):
    with runtime.db.begin() as session:
        bob = session.scalars(
            select(Recipient).where(
                Recipient.message_id == world.message_id, Recipient.address == "bob@example.org"
            )
        ).one()
        bob.access_code_attempts = 5
    admin = world.hospital_admin
    before = set(account_emails(runtime))
    found: list[str] = []
    with chromium() as browser:
        page = browser.new_context().new_page()
        violations = csp_violations(page)

        check = partial(note_axe_violations, page, found)

        page.goto(f"{base_url}/admin/login")
        log_in_page(page, base_url, admin)

        # Claim a domain: the TXT record, published, then verified.
        page.goto(f"{base_url}/admin/orgs")
        check()
        page.get_by_label("Domain to claim").fill("zorg.example")
        page.get_by_role("button", name="Show the DNS record").click()
        page.get_by_role("button", name="Verify the record").wait_for()
        check()
        name = page.locator("#claim-record-name").inner_text()
        assert name == "_sealgate-challenge.zorg.example"
        claim_zone.add_txt(name, page.locator("#claim-record-value").inner_text())
        page.get_by_role("button", name="Verify the record").click()
        page.get_by_text("The domain was verified and added to the organisation.").wait_for()

        # Import accounts: one bad row, nothing written until confirmed.
        page.get_by_role("link", name="Accounts").click()
        page.get_by_role("link", name="Import accounts from a CSV file").click()
        check()
        page.get_by_label("CSV file").set_input_files(
            files=[
                {
                    "name": "accounts.csv",
                    "mimeType": "text/csv",
                    "buffer": ACCOUNTS_CSV.encode(),
                }
            ]
        )
        page.get_by_role("button", name="Check the file").click()
        page.get_by_text("2 rows can be imported, 1 are rejected").wait_for()
        assert page.locator("tr.rejected").count() == 1
        check()
        assert set(account_emails(runtime)) == before
        page.get_by_role("button", name="Import the accepted rows").click()
        page.get_by_text("The accepted rows were imported and the new accounts invited.").wait_for()
        assert page.get_by_role("cell", name="pia@hospital.example", exact=True).is_visible()

        # Unlock one recipient, send it a new notification, and set an expiry.
        page.goto(f"{base_url}/admin/messages/{world.message_id}")
        check()
        page.get_by_label("Recipient", exact=True).first.select_option("bob@example.org")
        page.get_by_role("button", name="Unlock").click()
        page.get_by_text("The recipient was unlocked.").wait_for()
        page.get_by_label("Recipient", exact=True).first.select_option("bob@example.org")
        page.get_by_role("button", name="Send a new notification").click()
        page.get_by_text("A new notification was queued for the recipient.").wait_for()
        page.get_by_label("Links expire in (days)").fill("14")
        page.get_by_role("button", name="Set expiry").click()
        page.get_by_text("The links' expiry was set.").wait_for()
        check()

        page.goto(f"{base_url}/admin/audit")
        check()
        assert page.get_by_role("cell", name="message.unlock", exact=True).is_visible()
        assert violations == []
    assert not found, "axe: WCAG violations:\n" + "\n".join(found)
    assert set(account_emails(runtime)) == before | {"pia@hospital.example", "sam@hospital.example"}
    with runtime.db.begin() as session:
        assert session.scalar(select(Domain.org_id).where(Domain.name == "zorg.example"))
        bob = session.get_one(Recipient, bob.id)
        assert bob.access_code_attempts == 0 and bob.expires_at is not None

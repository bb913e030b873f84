"""The account inbox: every message addressed to the account, and nothing else."""

from __future__ import annotations

import pytest

from sealgate.bootstrap import Runtime
from tests.portal.account import DORA, DORA_PASSWORD, enrol
from tests.portal.guest import GuestBrowser
from tests.portal.recipients import PHONE, Spec, add_reader, latest_sms_code, store_for

LETTER = b"%PDF-1.4 the letter\x00\xff"


@pytest.fixture
def mail(runtime: Runtime, sender):
    """Dora's messages (account method, email method, an SMS one), Bob's, and an undelivered."""
    add_reader(runtime, DORA, DORA_PASSWORD)
    return {
        "account": store_for(
            runtime, sender, [Spec(DORA, "account")], subject="Scan results", attachment=LETTER
        )[DORA],
        "email": store_for(
            runtime, sender, [Spec(DORA.upper(), "email_verification")], subject="Invoice"
        )[DORA.upper()],
        "sms": store_for(
            runtime,
            sender,
            [Spec(DORA, "sms", phone=PHONE), Spec("bob@example.org", "sms", phone=PHONE)],
            subject="Referral",
        ),
        "bob": store_for(runtime, sender, [Spec("bob@example.org")], subject="Bob only")[
            "bob@example.org"
        ],
        "none": store_for(runtime, sender, [Spec(DORA, "none", delivery="none")], subject="Held")[
            DORA
        ],
    }


async def test_inbox_lists_every_message_to_the_account(runtime, browser, mail):
    await enrol(browser)
    inbox = await browser.get("/inbox")
    assert inbox.status_code == 200
    for subject in ("Scan results", "Invoice", "Referral"):
        assert subject in inbox.text
    assert "Bob only" not in inbox.text and "Held" not in inbox.text
    assert "Alice Arts &lt;alice@hospital.example&gt;" in inbox.text and " UTC</time>" in inbox.text
    for key in ("account", "email"):
        assert f'href="/inbox/{mail[key].recipient_id}/read"' in inbox.text
    dora_sms = mail["sms"][DORA]
    assert f'href="/inbox/{dora_sms.recipient_id}/read"' in inbox.text
    assert mail["sms"]["bob@example.org"].recipient_id not in inbox.text


async def test_account_reads_and_downloads_its_own(runtime, browser, mail):
    await enrol(browser)
    rid = mail["account"].recipient_id
    page = await browser.get(f"/inbox/{rid}/read")
    assert page.status_code == 200 and "Scan results" in page.text
    assert f'href="/inbox/{rid}/attachments/0"' in page.text and 'href="/inbox"' in page.text
    download = await browser.get(f"/inbox/{rid}/attachments/0")
    assert download.status_code == 200 and download.content == LETTER
    assert download.headers["content-disposition"].startswith("attachment")
    # A message whose method was SMS opens for the account without any SMS.
    sms_rid = mail["sms"][DORA].recipient_id
    assert (await browser.get(f"/inbox/{sms_rid}/read")).status_code == 200


@pytest.mark.parametrize("whose", ["bob", "bob-sms", "undelivered", "malformed", "unknown"])
async def test_account_cannot_open_other_recipients(runtime, browser, mail, whose):
    await enrol(browser)
    rid = {
        "bob": mail["bob"].recipient_id,
        "bob-sms": mail["sms"]["bob@example.org"].recipient_id,
        "undelivered": mail["none"].recipient_id,
        "malformed": "../../etc",
        "unknown": "0" * 32,
    }[whose]
    for path in ("read", "html", "attachments/0"):
        response = await browser.get(f"/inbox/{rid}/{path}")
        assert response.status_code == 404, path
        assert "Bob only" not in response.text
    if whose == "bob":
        # Nor through Bob's link.
        read = await browser.get(f"/m/{mail['bob'].token}/read")
        assert read.status_code == 303 and read.headers["location"] == f"/m/{mail['bob'].token}"


async def test_inbox_needs_an_account_session(runtime, browser: GuestBrowser, mail):
    assert (await browser.get("/inbox")).headers["location"] == "/login"
    rid = mail["account"].recipient_id
    assert (await browser.get(f"/inbox/{rid}/read")).headers["location"] == "/login"
    assert (await browser.get(f"/inbox/{rid}/html")).status_code == 403
    assert (await browser.get(f"/inbox/{rid}/attachments/0")).status_code == 403
    # A guest session (SMS code for Dora's recipient row) is not an account session.
    dora_sms = mail["sms"][DORA]
    await browser.get(f"/m/{dora_sms.token}")
    await browser.post(f"/m/{dora_sms.token}/code")
    verified = await browser.post(f"/m/{dora_sms.token}/verify", {"code": latest_sms_code(runtime)})
    assert verified.status_code == 303
    assert (await browser.get("/inbox")).headers["location"] == "/login"
    assert (await browser.get(f"/inbox/{dora_sms.recipient_id}/read")).status_code == 303
    assert (await browser.get(f"/m/{dora_sms.token}/read")).status_code == 200


async def test_an_inbox_message_shows_its_senders_brand(runtime, browser, mail, sender):
    from sealgate.directory import BrandChange, set_brand
    from sealgate.store import utcnow

    with runtime.db.begin() as session:
        set_brand(session, sender.org, BrandChange(display_name="Ziekenhuis Noord"), utcnow())
    await enrol(browser)
    page = await browser.get(f"/inbox/{mail['account'].recipient_id}/read")
    assert page.status_code == 200
    assert '<span class="brand">Ziekenhuis Noord</span>' in page.text
    # The list mixes organisations' messages: it keeps the neutral look.
    assert "Ziekenhuis Noord" not in (await browser.get("/inbox")).text

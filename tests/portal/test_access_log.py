"""The portal's audit entries: who opened, read and downloaded what, every proof and login."""

from __future__ import annotations

import json

from sealgate.audit import entries, verify
from sealgate.bootstrap import Runtime
from tests.conftest import Sender
from tests.portal.account import DORA, DORA_PASSWORD, enrol, log_in, second_step, totp_now
from tests.portal.conftest import BOB, HTML_ATTACHMENT_NAME, SUBJECT, StoredMessage
from tests.portal.guest import GuestBrowser, latest_code
from tests.portal.recipients import Spec, add_reader, store_for


def _trail(rt: Runtime) -> list[dict]:
    with rt.db.begin() as session:
        return [
            {
                "action": e.action,
                "actor": f"{e.actor_kind}:{e.actor_id}",
                "org": e.organisation,
                "target": e.object_id,
                "client": e.client,
                "outcome": e.outcome,
                "details": json.loads(e.details),
            }
            for e in entries(session)
        ]


async def test_a_guest_reading_a_message_leaves_each_access(
    runtime: Runtime, browser: GuestBrowser, stored: StoredMessage
) -> None:
    bob = stored.bob
    await browser.get(f"/m/{bob.token}")
    # A wrong code first, then the right one.
    await browser.ask_for_code(bob.token)
    wrong = await browser.post(f"/m/{bob.token}/verify", {"code": "000000"})
    assert wrong.headers["location"] == f"/m/{bob.token}/verify?error=wrong"
    right = await browser.post(
        f"/m/{bob.token}/verify", {"code": latest_code(runtime, bob.recipient_id)}
    )
    assert right.status_code == 303
    assert (await browser.get(f"/m/{bob.token}/read")).status_code == 200
    assert (await browser.get(f"/m/{bob.token}/html")).status_code == 200
    assert (await browser.get(f"/m/{bob.token}/attachments/1")).status_code == 200
    assert (await browser.get(f"/m/{bob.token}/attachments/7")).status_code == 404
    assert (await browser.post("/logout")).status_code == 303
    trail = _trail(runtime)
    assert [(e["action"], e["outcome"]) for e in trail] == [
        ("portal.verify.fail", "denied"),
        ("portal.verify.ok", "ok"),
        ("portal.open", "ok"),
        ("portal.html", "ok"),
        ("portal.download", "ok"),
        ("portal.logout", "ok"),
    ]
    assert {e["actor"] for e in trail} == {f"guest:{BOB}"}
    assert {e["target"] for e in trail} == {bob.recipient_id}
    assert {e["org"] for e in trail} == {"Hospital"}
    assert all(e["client"] for e in trail)
    assert trail[0]["details"] == {"method": "email_code", "outcome": "wrong"}
    assert trail[1]["details"] == {"method": "email_code", "outcome": "correct"}
    assert trail[4]["details"] == {"index": 1}
    with runtime.db.begin() as session:
        details = " ".join(e.details for e in entries(session))
        assert verify(session).intact
    assert SUBJECT not in details and HTML_ATTACHMENT_NAME not in details


async def test_a_start_page_or_a_refused_read_leaves_nothing(
    runtime: Runtime, browser: GuestBrowser, stored: StoredMessage
) -> None:
    # Mail scanners fetch links: only what shows content (or judges a proof) is recorded.
    await browser.get(f"/m/{stored.bob.token}")
    assert (await browser.get(f"/m/{stored.bob.token}/read")).status_code == 303
    assert (await browser.get(f"/m/{stored.bob.token}/html")).status_code == 403
    assert _trail(runtime) == []


async def test_access_code_attempts_are_recorded(
    runtime: Runtime, browser: GuestBrowser, sender: Sender
) -> None:
    guest = store_for(runtime, sender, [Spec(BOB, "access_code", access_code="Tulip-42")])[BOB]
    await browser.get(f"/m/{guest.token}")
    await browser.post(f"/m/{guest.token}/access-code", {"access_code": "Rose-99"})
    opened = await browser.post(f"/m/{guest.token}/access-code", {"access_code": "Tulip-42"})
    assert opened.status_code == 303
    trail = _trail(runtime)
    assert [(e["action"], e["details"]["method"], e["outcome"]) for e in trail] == [
        ("portal.verify.fail", "access_code", "denied"),
        ("portal.verify.ok", "access_code", "ok"),
    ]
    assert "Tulip-42" not in json.dumps(trail) and "Rose-99" not in json.dumps(trail)


async def test_account_logins_and_failures_are_recorded(
    runtime: Runtime, browser: GuestBrowser
) -> None:
    add_reader(runtime, DORA, DORA_PASSWORD)
    failed = "/login?error=failed"
    assert (await log_in(browser, DORA, "wrong password")).headers["location"] == failed
    assert (await log_in(browser, "nobody@clinic.example", "my-password")).headers["location"] == (
        failed
    )
    enrolled, confirmed = await enrol(browser)
    assert confirmed.status_code == 303
    await browser.post("/logout")
    assert (await log_in(browser, DORA, DORA_PASSWORD)).status_code == 303
    assert (await second_step(browser, "000000")).headers["location"] == "/login/totp?error=wrong"
    right = await second_step(browser, totp_now(enrolled.secret, steps_ahead=1))
    assert right.status_code == 303
    assert (await browser.get("/inbox")).status_code == 200
    trail = _trail(runtime)
    assert [(e["action"], e["actor"], e["details"].get("method")) for e in trail] == [
        ("portal.verify.fail", f"account:{DORA}", "password"),
        ("portal.verify.fail", "guest:(no such account)", "password"),
        ("portal.verify.ok", f"account:{DORA}", "password"),
        ("portal.verify.ok", f"account:{DORA}", "totp_enrolment"),
        ("portal.login", f"account:{DORA}", None),
        ("portal.logout", f"account:{DORA}", None),
        ("portal.verify.ok", f"account:{DORA}", "password"),
        ("portal.verify.fail", f"account:{DORA}", "totp"),
        ("portal.verify.ok", f"account:{DORA}", "totp"),
        ("portal.login", f"account:{DORA}", None),
        ("portal.inbox", f"account:{DORA}", None),
    ]
    assert trail[-1]["details"] == {"shown": 0}
    assert {e["org"] for e in trail if e["actor"] != "guest:(no such account)"} == {"Clinic"}
    assert "my-password" not in json.dumps(trail) and "nobody@" not in json.dumps(trail)

"""POST /messages/{id}/unlock over real HTTP: after 5 wrong access codes the portal refuses
even the right one; after the helpdesk's unlock the right code opens the message."""

from __future__ import annotations

import httpx

from sealgate.admin import Role
from sealgate.audit import newest
from sealgate.store import Recipient, utcnow
from tests.admin.api.world import ApiWorld
from tests.conftest import Sender
from tests.portal.guest import GuestBrowser, code_mails
from tests.portal.recipients import Spec, store_for

CAROL = "carol@example.org"
CODE = "Tulip-2026"
LOCKED = "Ask the sender for a new message or contact them."


def _message(world: ApiWorld, address: str) -> tuple[str, str, str]:
    """(message id, recipient id, link token) of a new access-code message to `address`."""
    org = world.orgs["Hospital"]
    sender = Sender(org.name, org.sender, "Alice", org.username, "")
    guest = store_for(world.rt, sender, [Spec(address, "access_code", access_code=CODE)])[address]
    with world.rt.db.begin() as session:
        message_id = session.get_one(Recipient, guest.recipient_id).message_id
    return message_id, guest.recipient_id, guest.token


async def test_unlock_lets_the_right_code_open_the_message(world: ApiWorld) -> None:
    message_id, recipient_id, token = _message(world, CAROL)
    portal = world.rt.settings.web.base_url
    async with httpx.AsyncClient(base_url=portal, timeout=30) as client:
        browser = GuestBrowser(client)
        assert (await browser.get(f"/m/{token}")).status_code == 200
        for _ in range(5):
            await browser.post(f"/m/{token}/access-code", {"access_code": "wrong"})
        late = await browser.post_and_follow(f"/m/{token}/access-code", {"access_code": CODE})
        assert late.status_code == 429 and LOCKED in late.text

        with world.client(Role.HELPDESK, "Hospital") as api:
            unlocked = api.post(
                f"/messages/{message_id}/unlock", json={"recipient": "Carol@Example.org"}
            )
        assert unlocked.status_code == 200, unlocked.text
        value = unlocked.json()
        assert value["recipient"] == CAROL and value["unlocked"] is True
        assert value["before"] == {
            "access_code_attempts": 5,
            "code_attempts": None,
            "code_sends_day": 0,
        }
        assert value["lifetime_cap_reached"] is False

        assert (await browser.get(f"/m/{token}")).status_code == 200
        opened = await browser.post(f"/m/{token}/access-code", {"access_code": CODE})
        assert opened.status_code == 303 and opened.headers["location"] == f"/m/{token}/read"
        read = await browser.get(f"/m/{token}/read")
        assert read.status_code == 200
    with world.rt.db.begin() as session:
        row = session.get_one(Recipient, recipient_id)
        assert row.access_code_attempts == 0 and row.opened_at is not None
        [entry] = newest(session, 10, action="api.messages.unlock")
    assert entry.object_id == message_id and entry.organisation == "Hospital"
    assert '"recipient":"Carol@Example.org"' in entry.details
    assert '"before":{"access_code_attempts":5' in entry.details


def test_unlock_refusals(world: ApiWorld) -> None:
    message_id, _, _ = _message(world, "dora@example.org")
    clinic = world.orgs["Clinic"]
    with world.client(Role.HELPDESK, "Hospital") as api:
        unknown = api.post(f"/messages/{message_id}/unlock", json={"recipient": "eve@example.org"})
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
        assert api.post(f"/messages/{message_id}/unlock", json={}).status_code == 422
        other = api.post(
            f"/messages/{clinic.message_id}/unlock", json={"recipient": "bob@example.org"}
        )
        assert other.status_code == 404
    with world.client(Role.AUDITOR, "Hospital") as api:
        denied = api.post(f"/messages/{message_id}/unlock", json={"recipient": "dora@example.org"})
        assert denied.status_code == 403


async def test_unlock_lifts_the_day_cap_of_code_sends(world: ApiWorld) -> None:
    """A link at its day cap asks the recipient to contact the sender; after the unlock it
    sends a code again (the lifetime count is kept)."""
    address = "erik@example.org"
    org = world.orgs["Hospital"]
    sender = Sender(org.name, org.sender, "Alice", org.username, "")
    guest = store_for(world.rt, sender, [Spec(address)])[address]
    web = world.rt.settings.web
    with world.rt.db.begin() as session:
        row = session.get_one(Recipient, guest.recipient_id)
        row.code_sends_day = row.code_sends_total = web.code_sends_per_day
        row.code_day_started_at = row.sender_told_at = utcnow()
        message_id = row.message_id
    async with httpx.AsyncClient(base_url=web.base_url, timeout=30) as client:
        browser = GuestBrowser(client)
        capped = await browser.get(f"/m/{guest.token}")
        assert capped.status_code == 429 and "Please contact the sender" in capped.text
        with world.client(Role.HELPDESK, "Hospital") as api:
            unlocked = api.post(f"/messages/{message_id}/unlock", json={"recipient": address})
        assert unlocked.status_code == 200, unlocked.text
        assert unlocked.json()["before"]["code_sends_day"] == web.code_sends_per_day
        assert (await browser.get(f"/m/{guest.token}")).status_code == 200
        sent = await browser.post(f"/m/{guest.token}/code", {})
        assert sent.status_code == 303, sent.text
    assert len(code_mails(world.rt, guest.recipient_id)) == 1
    with world.rt.db.begin() as session:
        row = session.get_one(Recipient, guest.recipient_id)
        assert (row.code_sends_day, row.code_sends_total) == (1, web.code_sends_per_day + 1)

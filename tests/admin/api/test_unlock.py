"""POST /messages/{id}/unlock over real HTTP: after 5 wrong access codes the portal refuses
even the right one; after the helpdesk's unlock the right code opens the message."""

from __future__ import annotations

import httpx

from sealgate.admin import Role
from sealgate.audit import newest
from sealgate.store import Recipient
from tests.admin.api.world import ApiWorld
from tests.conftest import Sender
from tests.portal.guest import GuestBrowser
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
        late = await browser.post(f"/m/{token}/access-code", {"access_code": CODE})
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

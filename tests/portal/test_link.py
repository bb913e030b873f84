"""The link page: who sent it, to which address (masked), and a GET that changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.portal.link import mask_address
from sealgate.store import Base, OutboundJob, Recipient
from tests.portal.guest import GuestBrowser

NOT_VALID = "This link is not valid or has expired"


def database_snapshot(rt: Runtime) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a stable order."""
    with rt.db.begin() as session:
        return {
            table.name: sorted(
                (tuple(row) for row in session.execute(table.select()).all()), key=repr
            )
            for table in Base.metadata.sorted_tables
        }


async def test_landing_names_sender_and_masks_recipient(browser: GuestBrowser, stored):
    page = await browser.get(f"/m/{stored.bob.token}")
    assert page.status_code == 200
    assert "Alice Arts" in page.text and "alice@hospital.example" in page.text
    assert "b***b@example.org" in page.text
    assert "bob@example.org" not in page.text
    assert f'action="/m/{stored.bob.token}/code"' in page.text
    assert "Send me a code" in page.text
    assert 'name="viewport"' in page.text
    # Nothing of the message itself before the guest proved the address.
    assert "Lab results" not in page.text


async def test_get_changes_nothing(runtime: Runtime, browser: GuestBrowser, stored):
    """Mail scanners fetch links: no code sent, nothing opened, nothing consumed."""
    before = database_snapshot(runtime)
    token = stored.bob.token
    for path in (
        f"/m/{token}",
        f"/m/{token}/verify",
        f"/m/{token}/read",
        f"/m/{token}/html",
        f"/m/{token}/attachments/0",
        f"/m/{token}/code",
    ):
        await browser.get(path)
        await browser.request("HEAD", path)
    assert database_snapshot(runtime) == before
    with runtime.db.begin() as session:
        assert session.scalars(select(OutboundJob)).all() == []
        assert session.get(Recipient, stored.bob.recipient_id).opened_at is None


async def test_get_of_code_address_is_not_a_send(browser: GuestBrowser, stored):
    response = await browser.get(f"/m/{stored.bob.token}/code")
    assert response.status_code == 405


@pytest.mark.parametrize("kind", ["unknown", "expired", "overlong", "empty-ish"])
async def test_unknown_and_expired_links_look_the_same(browser: GuestBrowser, stored, kind):
    token = {
        "unknown": "A" * 43,
        "expired": stored.expired_token,
        "overlong": "A" * 500,
        "empty-ish": "-",
    }[kind]
    page = await browser.get(f"/m/{token}")
    assert page.status_code == 404
    assert NOT_VALID in page.text
    assert "example.org" not in page.text and "Alice" not in page.text


async def test_unknown_link_refuses_every_flow(browser: GuestBrowser, stored):
    await browser.get(f"/m/{stored.bob.token}")  # a valid CSRF token, so only the link is wrong
    for method, path in (
        ("POST", "/code"),
        ("GET", "/verify"),
        ("GET", "/read"),
        ("GET", "/html"),
        ("GET", "/attachments/0"),
    ):
        if method == "POST":
            response = await browser.post(f"/m/{stored.expired_token}{path}")
        else:
            response = await browser.get(f"/m/{stored.expired_token}{path}")
        assert response.status_code == 404, path
        assert NOT_VALID in response.text


async def test_landing_after_sign_in_offers_the_message(
    runtime: Runtime, browser: GuestBrowser, stored
):
    await browser.sign_in(runtime, stored.bob.token, stored.bob.recipient_id)
    page = await browser.get(f"/m/{stored.bob.token}")
    assert f'href="/m/{stored.bob.token}/read"' in page.text
    other = await browser.get(f"/m/{stored.carol.token}")
    assert "Send me a code" in other.text


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("bob@example.org", "b***b@example.org"),
        ("jo@example.org", "j*@example.org"),
        ("j@example.org", "j*@example.org"),
        ("not-an-address", "n***s"),
    ],
)
def test_mask_address(address: str, masked: str):
    assert mask_address(address) == masked

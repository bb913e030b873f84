"""Revoke and expiry in the portal, over real HTTP: every route of a withdrawn or expired
link, downloads included, answers 410 with a clear page at the very next request; unrevoke
and a cleared expiry open it again (issue 10 item 4)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from sealgate.bootstrap import Runtime
from sealgate.directory import revoke_links, set_expiry, unrevoke_links
from sealgate.locale import use_language
from sealgate.locale.dates import short_day
from sealgate.portal.withdrawn import shown_date
from sealgate.store import Recipient, utcnow
from tests.portal.account import DORA, DORA_PASSWORD, enrol
from tests.portal.conftest import SUBJECT, StoredMessage
from tests.portal.guest import GuestBrowser
from tests.portal.recipients import Spec, add_reader, store_for
from tests.portal.served import served_portal

BOB = "bob@example.org"


@pytest.fixture
async def http(runtime: Runtime) -> AsyncIterator[GuestBrowser]:
    """A guest's browser on the portal served by uvicorn on its loopback port."""
    with served_portal(runtime) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            yield GuestBrowser(client)


def _message_id(rt: Runtime, recipient_id: str) -> str:
    with rt.db.begin() as session:
        return session.get_one(Recipient, recipient_id).message_id


def _revoked_at(rt: Runtime, recipient_id: str):  # type: ignore[no-untyped-def]
    with rt.db.begin() as session:
        return session.get_one(Recipient, recipient_id).revoked_at


def _routes(token: str) -> list[str]:
    start = f"/m/{token}"
    return [start, f"{start}/verify", f"{start}/read", f"{start}/html"] + [
        f"{start}/attachments/{index}" for index in (0, 1)
    ]


def _assert_closed_page(page: httpx.Response, sentence: str, stored: StoredMessage) -> None:
    assert page.status_code == 410, (page.request.url, page.status_code)
    assert page.headers["content-type"].startswith("text/html")
    assert sentence in page.text and "Hospital" in page.text
    assert SUBJECT not in page.text and "lab results" not in page.text
    assert "scan.bin" not in page.text and "attachment" not in page.headers.get(
        "content-disposition", ""
    )
    assert page.content not in stored.attachments


async def test_revoke_closes_every_route_at_once_and_unrevoke_opens_it(
    runtime: Runtime, http: GuestBrowser, stored: StoredMessage
) -> None:
    bob = stored.bob
    await http.sign_in(runtime, bob.token, bob.recipient_id)
    assert (await http.get(f"/m/{bob.token}/read")).status_code == 200
    download = await http.get(f"/m/{bob.token}/attachments/1")
    assert download.status_code == 200 and download.content == stored.attachments[1]

    message_id = _message_id(runtime, bob.recipient_id)
    with runtime.db.begin() as session:
        revoke_links(session, message_id, utcnow(), address=BOB)
    sentence = (
        "The message was withdrawn by the sender on "
        f"{shown_date(_revoked_at(runtime, bob.recipient_id))}."
    )
    for route in _routes(bob.token):
        _assert_closed_page(await http.get(route), sentence, stored)
    # The forms close too: no code is sent for a withdrawn link.
    _assert_closed_page(await http.post(f"/m/{bob.token}/code"), sentence, stored)
    # The other recipient's link is untouched.
    assert (await http.get(f"/m/{stored.carol.token}")).status_code == 200

    with runtime.db.begin() as session:
        unrevoke_links(session, message_id, address=BOB)
    page = await http.get(f"/m/{bob.token}/read")
    assert page.status_code == 200 and SUBJECT in page.text
    download = await http.get(f"/m/{bob.token}/attachments/0")
    assert download.status_code == 200 and download.content == stored.attachments[0]


async def test_a_passed_expiry_shows_the_expired_page(
    runtime: Runtime, http: GuestBrowser, stored: StoredMessage
) -> None:
    bob = stored.bob
    await http.sign_in(runtime, bob.token, bob.recipient_id)
    message_id = _message_id(runtime, bob.recipient_id)
    with runtime.db.begin() as session:
        set_expiry(session, message_id, utcnow() + timedelta(days=1))
    assert (await http.get(f"/m/{bob.token}/attachments/1")).status_code == 200

    # As if the day had passed: the expiry moves back to just before now.
    passed = (utcnow() - timedelta(seconds=1)).replace(microsecond=0)
    with runtime.db.begin() as session:
        session.execute(
            update(Recipient).where(Recipient.message_id == message_id).values(expires_at=passed)
        )
    sentence = f"The message expired on {shown_date(passed)}."
    for token in (bob.token, stored.carol.token):
        for route in _routes(token):
            _assert_closed_page(await http.get(route), sentence, stored)

    with runtime.db.begin() as session:
        set_expiry(session, message_id, None)
    assert (await http.get(f"/m/{bob.token}/attachments/1")).content == stored.attachments[1]


async def test_a_revoked_message_in_the_account_inbox(
    runtime: Runtime, http: GuestBrowser, sender
) -> None:
    add_reader(runtime, DORA, DORA_PASSWORD)
    kept = store_for(runtime, sender, [Spec(DORA, "account")], subject="Kept letter")[DORA]
    gone = store_for(
        runtime, sender, [Spec(DORA, "account")], subject="Withdrawn letter", attachment=b"%PDF"
    )[DORA]
    await enrol(http)
    assert (await http.get(f"/inbox/{gone.recipient_id}/attachments/0")).content == b"%PDF"
    with runtime.db.begin() as session:
        revoke_links(session, _message_id(runtime, gone.recipient_id), utcnow(), everyone=True)

    inbox = await http.get("/inbox")
    assert inbox.status_code == 200 and "Kept letter" in inbox.text
    assert "Withdrawn letter" not in inbox.text and "Withdrawn by the sender on" in inbox.text
    assert f"/inbox/{gone.recipient_id}/read" not in inbox.text
    for route in ("read", "html", "attachments/0"):
        page = await http.get(f"/inbox/{gone.recipient_id}/{route}")
        assert page.status_code == 410 and "withdrawn by the sender on" in page.text
        assert "Withdrawn letter" not in page.text and "Hospital" in page.text
    assert (await http.get(f"/inbox/{kept.recipient_id}/read")).status_code == 200
    # In Dutch and German, the month too: the date is the reader's, not strftime's English.
    dutch = await http.get("/inbox", headers={"accept-language": "nl"})
    with use_language("nl"):
        day = short_day(_revoked_at(runtime, gone.recipient_id))
    assert f"Ingetrokken door de afzender op {day}" in dutch.text
    german = await http.get(f"/inbox/{gone.recipient_id}/read", headers={"accept-language": "de"})
    assert german.status_code == 410 and "Diese Nachricht wurde zurückgezogen" in german.text
    assert "Der Absender hat die Nachricht am" in german.text and " UTC" in german.text

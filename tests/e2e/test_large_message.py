"""A message larger than every buffer: SMTP -> intake -> portal download, byte-identical.

8 MB with a 5 MB PDF (base64), a 1.5 MB quoted-printable text attachment and a small one:
submission streams it into the vault during DATA, intake walks it as a stream and decodes the
large parts straight into blobs of their own, and the portal streams them out again.
"""

from __future__ import annotations

import asyncio
import os
from email.message import EmailMessage

from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.intake import ReadableMessage, mime_stream, process_incoming
from sealgate.store import Message, Submission
from sealgate.submission import SubmissionServer
from sealgate.submission.spool import SPOOL_THRESHOLD
from tests.conftest import Sender
from tests.portal.guest import GuestBrowser, portal_client
from tests.portal.recipients import Spec, store_readable
from tests.submission.smtp_client import connect_auth

BOB = "bob@example.org"


def _large() -> tuple[bytes, dict[str, bytes]]:
    pdf = os.urandom(5 * 1024 * 1024)
    notes = ("Regel %d: uitslag binnen, waarde = normaal, geen actie nodig.\n" * 25_000).encode()
    tiny = b"tiny attachment"
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "alice@hospital.example", BOB, "Scans"
    mail.set_content("Dear Bob,\n\nthe scans are attached.\n")
    mail.add_attachment(pdf, "application", "pdf", filename="scan.pdf")
    mail.add_attachment(notes, "text", "plain", filename="notes.txt", cte="quoted-printable")  # type: ignore[call-arg]
    mail.add_attachment(tiny, "application", "octet-stream", filename="tiny.bin")
    raw = mail.as_bytes().replace(b"\n", b"\r\n")
    return raw, {"scan.pdf": pdf, "notes.txt": notes, "tiny.bin": tiny}


async def test_large_message_smtp_intake_download_byte_identical(
    runtime: Runtime, sender: Sender
) -> None:
    raw, contents = _large()
    assert len(raw) > 8 * SPOOL_THRESHOLD > 4 * mime_stream.STUB_THRESHOLD
    server = SubmissionServer(runtime)
    await server.start()
    try:

        def submit() -> tuple[int, bytes]:
            with connect_auth(runtime.settings, sender) as client:
                client.mail(sender.address)
                client.rcpt(BOB)
                return client.data(raw)

        code, text = await asyncio.to_thread(submit)
    finally:
        await server.stop()
    assert code == 250, text
    with runtime.db.begin() as session:
        [submission] = session.scalars(select(Submission))
        assert runtime.vault.get_bytes(submission.blob_id) == raw

    assert await asyncio.to_thread(process_incoming, runtime) == 1
    with runtime.db.begin() as session:
        [message] = session.scalars(select(Message))
        readable = ReadableMessage.from_json(runtime.vault.get_bytes(message.content_blob_id))
    assert readable.text.startswith("Dear Bob,")
    assert [a.filename for a in readable.attachments] == list(contents)
    assert [a.size for a in readable.attachments] == [len(c) for c in contents.values()]

    guests = store_readable(runtime, sender, readable, [Spec(BOB)])
    async with portal_client(runtime) as client:
        browser = GuestBrowser(client)
        await browser.sign_in(runtime, guests[BOB].token, guests[BOB].recipient_id)
        for index, content in enumerate(contents.values()):
            response = await browser.get(f"/m/{guests[BOB].token}/attachments/{index}")
            assert response.status_code == 200
            assert response.content == content

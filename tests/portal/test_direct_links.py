"""The download link of a direct delivery: who verifies how, and what it opens.

SPEC.md "Direct delivery": attachments of 10 MB and more become secure download links;
downloading needs an account login or a verification email, the link stays valid, and the
transport check is not repeated when a code is requested for it.
"""

from __future__ import annotations

import base64
import os
import re

import pytest
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.delivery import queued_mail
from sealgate.delivery.direct_mail import LARGE_ATTACHMENT
from sealgate.directory import add_nta7516_domain, disable_account, find_account, set_policy
from sealgate.notify import hash_token
from sealgate.store import LinkToken, OutboundJob, Recipient
from sealgate.submission.commit import AcceptedMessage, commit_submission
from tests.conftest import Sender
from tests.portal.account import DORA, DORA_PASSWORD, enrol
from tests.portal.guest import GuestBrowser, code_mails
from tests.portal.recipients import Spec, add_reader, store_for
from tests.route.pipeline import process_incoming

BOB = "bob@example.org"
DIRECT_METHODS = ["nta7516", "idd", "transport_security", "direct_delivery"]
_LINK = re.compile(rb"https?://[^\s/]+/m/([A-Za-z0-9_-]{43})")


def _raw(sender: Sender, *attachments: tuple[str, bytes]) -> bytes:
    """A message with a text body and base64 attachments, as a mail program writes it."""
    head = (
        f"From: {sender.name} <{sender.address}>\r\nTo: {BOB}\r\nSubject: Scans\r\n"
        "zivver-direct-delivery: tls tls1.2 auth certificate-validation\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b-1"\r\n\r\n'
        "--b-1\r\nContent-Type: text/plain\r\n\r\nDear Bob, the scans.\r\n"
    ).encode()
    parts = b"".join(
        b"--b-1\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        + f'Content-Disposition: attachment; filename="{name}"\r\n\r\n'.encode()
        + base64.encodebytes(data).replace(b"\n", b"\r\n")
        for name, data in attachments
    )
    return head + parts + b"--b-1--\r\n"


def _intake_nta7516(rt: Runtime, sender: Sender, raw: bytes) -> tuple[str, bytes]:
    """Submit `raw` to an NTA 7516 recipient and run intake: (recipient id, held mail)."""
    with rt.db.begin() as session:
        set_policy(session, sender.org, nta7516=True)
        add_nta7516_domain(session, "example.org")
        account = find_account(session, sender.address)
        assert account is not None
        accepted = AcceptedMessage(
            raw, account.org_id, account.id, sender.address, (BOB,), "127.0.0.1", sender.username
        )
    commit_submission(rt, accepted)
    assert process_incoming(rt) == 1
    with rt.db.begin() as session:
        recipient = session.scalars(select(Recipient)).one()
        assert (recipient.method, recipient.delivery) == ("nta7516", "direct")
        job = session.scalars(select(OutboundJob).where(OutboundJob.kind == "direct")).one()
        assert (job.state, job.required_level) == ("incoming", "pkix")
        return recipient.id, queued_mail(rt.vault, job)


def _tokens(rt: Runtime, recipient_id: str) -> list[str]:
    with rt.db.begin() as session:
        return list(
            session.scalars(
                select(LinkToken.token_hash).where(LinkToken.recipient_id == recipient_id)
            )
        )


async def test_a_large_attachment_of_a_direct_delivery_is_downloaded_after_a_code_mail(
    runtime: Runtime, browser: GuestBrowser, sender: Sender
):
    big, small = os.urandom(LARGE_ATTACHMENT), b"%PDF-1.7 small letter"
    recipient_id, mail = _intake_nta7516(
        runtime, sender, _raw(sender, ("scan.pdf", big), ("letter.pdf", small))
    )
    # The held mail carries the link instead of the large attachment, the small one as it was.
    assert len(mail) < 10_000 and b"zivver" not in mail.lower()
    assert base64.encodebytes(small).replace(b"\n", b"\r\n") in mail
    [token] = [match.decode() for match in _LINK.findall(mail)]
    assert _tokens(runtime, recipient_id) == [hash_token(token)]
    assert mail.count(b'"scan.pdf"') == 1 and b"10.0 MB" in mail
    # The link part says how it opens (no account: a code by email) and until when.
    words = b" ".join(mail.split())
    assert b"with a code that you will get by email at this address." in words
    assert b"log in" not in words and b"The link works until " in words

    start = await browser.get(f"/m/{token}")
    assert "Send me a code" in start.text and "Log in" not in start.text
    await browser.sign_in(runtime, token, recipient_id)
    download = await browser.get(f"/m/{token}/attachments/0")
    assert download.status_code == 200 and download.content == big
    # The link stays valid after use.
    assert (await browser.get(f"/m/{token}")).status_code == 200


async def test_a_direct_delivery_without_large_attachments_gets_no_link(
    runtime: Runtime, sender: Sender
):
    raw = _raw(sender, ("letter.pdf", os.urandom(1000)))
    recipient_id, mail = _intake_nta7516(runtime, sender, raw)
    assert _tokens(runtime, recipient_id) == []
    assert b"/m/" not in mail
    # Byte for byte the original, minus the control header.
    assert mail == raw.replace(
        b"zivver-direct-delivery: tls tls1.2 auth certificate-validation\r\n", b""
    )


@pytest.mark.parametrize("method", DIRECT_METHODS)
async def test_a_direct_recipient_without_an_account_verifies_by_email(
    runtime: Runtime, browser: GuestBrowser, sender: Sender, method: str
):
    guest = store_for(runtime, sender, [Spec(BOB, method, delivery="direct")], attachment=b"x")[BOB]
    start = await browser.get(f"/m/{guest.token}")
    assert "Send me a code" in start.text
    await browser.sign_in(runtime, guest.token, guest.recipient_id)
    assert (await browser.get(f"/m/{guest.token}/attachments/0")).content == b"x"


async def test_the_code_for_a_download_link_is_sent_without_a_transport_check(
    runtime: Runtime, browser: GuestBrowser, sender: Sender
):
    """The code mail goes out like any other, due now, not held for the transport stage."""
    guest = store_for(runtime, sender, [Spec(BOB, "direct_delivery", delivery="direct")])[BOB]
    asked = await browser.ask_for_code(guest.token)
    assert asked.status_code == 303
    assert len(code_mails(runtime, guest.recipient_id)) == 1
    with runtime.db.begin() as session:
        job = session.scalars(select(OutboundJob).where(OutboundJob.kind == "code")).one()
        assert job.state == "incoming" and job.rcpt_to == BOB


@pytest.mark.parametrize("method", DIRECT_METHODS)
async def test_a_direct_recipient_with_an_account_logs_in(
    runtime: Runtime, browser: GuestBrowser, client, sender: Sender, method: str
):
    add_reader(runtime, DORA, DORA_PASSWORD)
    guest = store_for(runtime, sender, [Spec(DORA, method, delivery="direct")], attachment=b"x")[
        DORA
    ]
    start = await browser.get(f"/m/{guest.token}")
    assert "has an account. Log in" in start.text and "Send me a code" not in start.text
    # No code is sent to an account holder: the account login is the way in.
    refused = await browser.post(f"/m/{guest.token}/code")
    assert refused.status_code == 303 and refused.headers["location"] == f"/m/{guest.token}"
    assert code_mails(runtime, guest.recipient_id) == []
    account = GuestBrowser(client)
    _, done = await enrol(account, token=guest.token)
    assert done.status_code == 303, done.text
    assert (await account.get(f"/m/{guest.token}/attachments/0")).content == b"x"


async def test_a_disabled_account_falls_back_to_the_email_code(
    runtime: Runtime, browser: GuestBrowser, sender: Sender
):
    add_reader(runtime, DORA, DORA_PASSWORD)
    with runtime.db.begin() as session:
        disable_account(session, DORA)
    guest = store_for(runtime, sender, [Spec(DORA, "idd", delivery="direct")])[DORA]
    assert "Send me a code" in (await browser.get(f"/m/{guest.token}")).text

"""A portal reply to an organisation with Inbound Direct Delivery: the whole running gateway
(`sealgate serve`: portal, intake, route, probes, delivery) against the transport lab.

Ida (Clinic, pkix.lab, IDD on) wrote to bob; bob verifies in the portal and replies with an
attachment. The reply is a submission of Clinic like any other, so route decides for ida:
IDD, and delivery hands it to mx.pkix.lab over PKIX-verified TLS, threaded under Ida's
message and with the attachment byte-identical. When Ida answers that reply from her own
mail client, it comes back over SMTP submission and starts a new conversation (seed rule):
a message of its own, not a reply in sealgate's sense, and bob gets a new link.
"""

from __future__ import annotations

import asyncio
import os
from email.message import EmailMessage

import httpx
import pytest
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.config import Settings
from sealgate.directory import (
    CREDENTIAL_KEY_PURPOSE,
    add_account,
    create_credential,
    create_org,
    set_idd,
)
from sealgate.store import LinkToken, Message, Recipient, Submission
from tests.conftest import Sender, lab_settings
from tests.e2e.mailflow import parse, running_gateway, submit
from tests.portal.guest import GuestBrowser
from tests.portal.recipients import Spec, store_for

IDA = "ida@pkix.lab"
BOB = "bob@example.org"


@pytest.fixture
def settings(transport_world, tmp_path, database_url, tls_files) -> Settings:
    return lab_settings(transport_world, tmp_path, database_url, tls_files)


async def test_a_reply_to_an_idd_organisation_is_delivered_into_its_mailbox(
    runtime, settings, transport_world
) -> None:
    with runtime.db.begin() as session:
        create_org(session, "Clinic", ["pkix.lab"])
        add_account(session, IDA, "Clinic", "ida-pw", "Ida Ingen")
        set_idd(session, "Clinic", "pkix.lab", True)
        credential, password = create_credential(
            session, "Clinic", "mail client", key=runtime.subkey(CREDENTIAL_KEY_PURPOSE)
        )
    ida = Sender("Clinic", IDA, "Ida Ingen", "", "")
    bob = store_for(runtime, ida, [Spec(BOB)], subject="Referral")[BOB]
    document = os.urandom(30 * 1024)
    async with (
        running_gateway(settings) as gateway,
        httpx.AsyncClient(base_url=settings.web.base_url, timeout=30) as client,
    ):
        browser = GuestBrowser(client)
        await browser.sign_in(gateway, bob.token, bob.recipient_id)
        assert (await browser.get(f"/m/{bob.token}/read")).status_code == 200
        sent = await browser.request(
            "POST",
            f"/m/{bob.token}/reply",
            data={"csrf_token": browser.csrf, "body": "Referral received, thank you."},
            files=[("attachments", ("intake.pdf", document, "application/pdf"))],
        )
        assert sent.status_code == 303, sent.text
        server = transport_world.server("mx.pkix.lab")
        (received,) = await server.sink.wait_for(lambda m: IDA in m.rcpt_tos, 30)
        mail = parse(received.content)
        # Ida answers the delivered reply from her mail client.
        answer = EmailMessage()
        answer["From"], answer["To"], answer["Subject"] = IDA, BOB, "Re: Re: Referral"
        answer["In-Reply-To"] = answer["References"] = mail["Message-ID"]
        answer.set_content("Thank you, see you on Monday.")
        port = int(settings.submission.listen.rpartition(":")[2])
        code = await asyncio.to_thread(submit, port, credential.username, password, answer, [BOB])
        assert code == "250"
        new_message = await _new_message_to_bob(gateway, bob.recipient_id)
    with runtime.db.begin() as session:
        first = session.get_one(Recipient, bob.recipient_id)
        again = session.scalars(select(Recipient).where(Recipient.message_id == new_message)).one()
        submission = session.get_one(
            Submission, session.get_one(Message, new_message).submission_id
        )
        assert submission.in_reply_to is None  # not a portal reply: a conversation of its own
        assert again.conversation_id != first.conversation_id
        assert again.address == BOB and again.delivery == "notification"
        assert session.scalars(select(LinkToken).where(LinkToken.recipient_id == again.id)).all()
    assert received.tls
    assert mail["From"] == BOB and mail["To"] == IDA and mail["Subject"] == "Re: Referral"
    assert mail["In-Reply-To"] and mail["References"] == mail["In-Reply-To"]
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and "Referral received" in body.get_content()
    (attachment,) = mail.iter_attachments()
    assert attachment.get_filename() == "intake.pdf"
    assert attachment.get_content() == document
    with runtime.db.begin() as session:
        row = session.scalars(
            select(Recipient).where(Recipient.address == IDA, Recipient.role == "to")
        ).one()
    assert (row.method, row.delivery) == ("idd", "direct")


async def _new_message_to_bob(gateway: Runtime, first_recipient: str) -> str:
    """The id of the message to bob other than the first, once route has decided it."""
    for _ in range(300):
        with gateway.db.begin() as session:
            ids = session.scalars(
                select(Recipient.message_id).where(
                    Recipient.address == BOB,
                    Recipient.id != first_recipient,
                    Recipient.state == "decided",
                )
            ).all()
        if ids:
            return ids[0]
        await asyncio.sleep(0.1)
    raise AssertionError("Ida's answer never reached bob's route decision")

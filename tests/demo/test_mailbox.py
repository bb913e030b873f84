"""The demo mailbox page: every caught mail with its subject, recipient and method."""

from __future__ import annotations

import asyncio
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from starlette.testclient import TestClient

from sealgate.demo import Mailbox, mailbox_app
from sealgate.notify import HowToOpen, compose_code_mail, compose_notification
from tests.conftest import free_port

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


def _notification(recipient: str, how: HowToOpen) -> EmailMessage:
    return compose_notification(
        sender_name="Alice Arts",
        sender_address="alice@hospital.example",
        recipient=recipient,
        link="http://127.0.0.1:8080/m/" + "A" * 43,
        now=NOW,
        org_name="Hospital",
        until=datetime(2027, 3, 3),
        how=how,
        subject="Your results" if how.proof == "account" else None,
    )


def _direct() -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"] = "alice@hospital.example", "erin@clinic.example"
    mail.set_content("straight into the mailbox")  # no Subject: the page says so
    return mail


async def _catch(folder: Path, mails: list[EmailMessage]) -> None:
    """Send every mail over SMTP to a real demo mailbox on loopback."""
    port = free_port()
    box = Mailbox(folder, "127.0.0.1", port)
    await box.start()
    try:

        def send() -> None:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                for mail in mails:
                    smtp.send_message(mail, from_addr="alice@hospital.example")

        await asyncio.to_thread(send)
    finally:
        await box.stop()


def test_each_mail_shows_its_subject_recipient_and_method(tmp_path: Path) -> None:
    code = compose_code_mail(
        recipient="dave@example.org",
        code="123456",
        sender_name="Alice Arts",
        sender_address="alice@hospital.example",
        system_from="noreply@gateway.example",
        ttl_minutes=10,
        now=NOW,
    )
    mails = [
        _notification("bob@example.org", HowToOpen()),
        _notification("carol@example.org", HowToOpen(proof="sms_code", phone="+31 6 ••• ••• 12")),
        _notification("dave@example.org", HowToOpen(proof="access_code")),
        _notification("frank@example.org", HowToOpen(proof="account")),
        code,
        _direct(),
    ]
    asyncio.run(_catch(tmp_path, mails))
    assert len(list(tmp_path.glob("*.eml"))) == len(mails)
    page = TestClient(mailbox_app(tmp_path)).get("/").text
    articles = page.split("<article>")[1:]
    assert len(articles) == len(mails)
    rows = {
        ("Secure message from Alice Arts (Hospital)", "bob@example.org", "code by email"),
        ("Secure message from Alice Arts (Hospital)", "carol@example.org", "code by SMS"),
        ("Secure message from Alice Arts (Hospital)", "dave@example.org", "access code"),
        ("Secure message from Alice Arts (Hospital): Your results", "frank@example.org",
         "account login"),
        ("Your verification code: 123456", "dave@example.org", "system mail"),
        ("(no subject)", "erin@clinic.example", "direct delivery"),
    }  # fmt: skip
    for subject, to, method in rows:
        assert any(
            f"<h2>{subject}</h2>" in article and f"To: {to} · Method: {method} ·" in article
            for article in articles
        ), (subject, to, method)

"""Route's notifications over a real database and vault: each method's own words, the
organisation and the sender named, the date the link stops, and no content at all."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.delivery import queued_mail
from sealgate.directory import BrandChange, add_account, set_brand, set_policy
from sealgate.locale import use_language
from sealgate.locale.dates import long_when
from sealgate.store import LinkToken, OutboundJob, Recipient, utcnow
from tests.conftest import Sender
from tests.intake.conftest import Submit
from tests.route.pipeline import process_incoming

SUBJECT = "Diagnosis for patient 4711"
BODY = "The biopsy shows nothing to worry about."
ATTACHMENT = "lab-results-4711.pdf"
ACCESS_CODE = "Tulip-Garden-83"
PHONE = "+31612345678"
SMS, CODE, EMAIL, ACCOUNT = (
    "bob@clinic.example",
    "carol@clinic.example",
    "dave@lab.example",
    "frank@hospital.example",
)
WORDS = {
    SMS: "a code that you will get by SMS on your phone number +31 6 ••• ••• 78.",
    CODE: "you enter the access code agreed with the sender.",
    EMAIL: "you will get a code by email at this address.",
    ACCOUNT: "you log in to your account with Hospital.",
}


def _mail(extra: dict[str, str]) -> bytes:
    mail = EmailMessage()
    mail["From"] = "Alice Arts <alice@hospital.example>"
    mail["To"] = ", ".join(WORDS)
    mail["Subject"] = SUBJECT
    for name, value in extra.items():
        mail[name] = value
    mail.set_content(BODY)
    mail.add_attachment(b"%PDF secret", maintype="application", subtype="pdf", filename=ATTACHMENT)
    return mail.as_bytes(policy=policy.SMTP)


def _notifications(runtime: Runtime, sender: Sender, submit: Submit, **extra: str):
    """Submit one message to the four recipients; their notifications by address, and the
    date each says its link stops (the earlier of link and recipient expiry)."""
    with runtime.db.begin() as session:
        add_account(session, ACCOUNT, sender.org, "frank-password-1", "Frank")
    headers = {
        "zivver-access-right": f"{SMS} sms {PHONE}",
        **extra,
    }
    raw = _mail(headers)
    # A second zivver-access-right header, for the access-code recipient.
    raw = raw.replace(
        b"zivver-access-right:",
        f"zivver-access-right: {CODE} access-code {ACCESS_CODE}\r\nzivver-access-right:".encode(),
        1,
    )
    submit(raw, list(WORDS))
    process_incoming(runtime)
    mails, untils = {}, {}
    with runtime.db.begin() as session:
        for job in session.scalars(select(OutboundJob)):
            assert job.kind == "notification", job.rcpt_to
            recipient = session.get_one(Recipient, job.recipient_id)
            token = session.scalars(
                select(LinkToken).where(LinkToken.recipient_id == recipient.id)
            ).one()
            ends = [token.expires_at] + ([recipient.expires_at] if recipient.expires_at else [])
            untils[job.rcpt_to] = min(ends)
            raw_mail = queued_mail(runtime.vault, job)
            mails[job.rcpt_to] = BytesParser(policy=policy.default).parsebytes(raw_mail)
    assert set(mails) == set(WORDS)
    return mails, untils


def _everything(mail: EmailMessage) -> list[str]:
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    return [" ".join(text.split()), " ".join(html.split()), mail.as_string()]


@pytest.mark.parametrize("expiry", [None, "2d"])
def test_each_method_its_words_the_org_the_sender_and_the_end(
    runtime: Runtime, sender: Sender, submit: Submit, expiry: str | None
) -> None:
    extra = {"sealgate-expiry": expiry} if expiry else {}
    mails, untils = _notifications(runtime, sender, submit, **extra)
    for address, mail in mails.items():
        assert mail["Subject"] == "Secure message from Alice Arts (Hospital)"
        with use_language("en"):
            until = f"The link works until {long_when(untils[address])}."
        text, html, whole = _everything(mail)
        for part in (text, html):
            assert WORDS[address] in part, address
            assert all(words not in part for other, words in WORDS.items() if other != address)
            assert until in part
            assert "Hospital" in part and "alice@hospital.example" in part and "Alice Arts" in part
        # No content: not the subject, the body, an attachment's name, the code or the phone.
        for secret in (SUBJECT, BODY, "biopsy", ATTACHMENT, ACCESS_CODE, PHONE, "12345678"):
            assert secret not in whole, (address, secret)
    # The recipient's expiry of 2 days comes before the link's own 90; else the link's.
    days = 2 if expiry else runtime.settings.web.link_ttl_days
    for address, mail in mails.items():
        sent = mail["Date"].datetime.replace(tzinfo=None)
        assert abs((untils[address] - sent).total_seconds() - days * 86400) < 60


def test_the_subject_only_when_the_organisation_shows_it(
    runtime: Runtime, sender: Sender, submit: Submit
) -> None:
    with runtime.db.begin() as session:
        set_policy(session, sender.org, show_subject=True)
    mails, _ = _notifications(runtime, sender, submit)
    for mail in mails.values():
        assert mail["Subject"] == f"Secure message from Alice Arts (Hospital): {SUBJECT}"
        text, html, whole = _everything(mail)
        assert f"Subject: {SUBJECT}" in text and f"Subject: {SUBJECT}" in html
        for secret in (BODY, ATTACHMENT, ACCESS_CODE, PHONE):
            assert secret not in whole


def test_the_organisations_brand_names_it_and_ends_every_notification(
    runtime: Runtime, sender: Sender, submit: Submit
) -> None:
    with runtime.db.begin() as session:
        set_brand(
            session,
            sender.org,
            BrandChange(
                display_name="Ziekenhuis Noord",
                accent="#0b6e4f",
                support="Vragen? Bel 020 123 4567 (werkdagen 8-17 uur)",
                footer="Ziekenhuis Noord, Noorderweg 1, Amsterdam",
            ),
            utcnow(),
        )
    mails, _ = _notifications(runtime, sender, submit)
    for mail in mails.values():
        assert mail["Subject"] == "Secure message from Alice Arts (Ziekenhuis Noord)"
        text, html, _whole = _everything(mail)
        assert "Alice Arts <alice@hospital.example> of Ziekenhuis Noord sent you" in text
        assert text.endswith(
            "-- Ziekenhuis Noord Vragen? Bel 020 123 4567 (werkdagen 8-17 uur) "
            "Ziekenhuis Noord, Noorderweg 1, Amsterdam"
        )
        assert "<strong>Ziekenhuis Noord</strong><br>Vragen? Bel 020 123 4567" in html
        assert "Noorderweg 1, Amsterdam</p>" in html
        assert "background:#0b6e4f;color:#fff" in html

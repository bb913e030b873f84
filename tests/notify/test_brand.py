"""Every mail sealgate writes names the organisation as it shows itself and ends with its
block: the name, the support line and the footer (escaped in HTML); a notification's button
takes the accent. Mails carry no logo."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from sealgate.notify import MailBrand, compose_account_mail, compose_code_mail, compose_notification

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
NAME = "Ziekenhuis Noord"
BRAND = MailBrand(
    support="Vragen? Bel 020 123 4567",
    footer="Ziekenhuis <Noord> & partners",
    accent="#5a2d82",
)


def _notification(brand: MailBrand | None = BRAND) -> EmailMessage:
    return compose_notification(
        sender_name="Alice Arts",
        sender_address="alice@hospital.example",
        recipient="bob@example.org",
        link="https://portal.example/m/" + "A" * 43,
        now=NOW,
        org_name=NAME,
        until=datetime(2027, 3, 3, 9, 0),
        brand=brand,
        language="nl",
    )


def _code() -> EmailMessage:
    return compose_code_mail(
        recipient="bob@example.org",
        code="123456",
        sender_name="Alice Arts",
        sender_address="alice@hospital.example",
        system_from="noreply@gateway.example",
        ttl_minutes=10,
        now=NOW,
        org_name=NAME,
        brand=BRAND,
        language="de",
    )


def _account(purpose: str) -> EmailMessage:
    return compose_account_mail(
        purpose=purpose,
        recipient="dora@clinic.example",
        display_name="Dora",
        org_name=NAME,
        link="https://portal.example/account/" + "A" * 43,
        expires_at=datetime(2026, 12, 10, 9, 0),
        system_from="noreply@gateway.example",
        now=NOW,
        brand=BRAND,
    )


def _parts(mail: EmailMessage) -> tuple[str, str]:
    return (
        mail.get_body(("plain",)).get_content(),
        mail.get_body(("html",)).get_content(),
    )


@pytest.mark.parametrize(
    "make", [_notification, _code, lambda: _account("invite"), lambda: _account("reset")]
)
def test_every_mail_ends_with_the_organisations_block(make) -> None:
    mail = make()
    text, html = _parts(mail)
    assert text.endswith(
        f"\n-- \n{NAME}\nVragen? Bel 020 123 4567\nZiekenhuis <Noord> & partners\n"
    )
    assert (
        f"<strong>{NAME}</strong><br>Vragen? Bel 020 123 4567<br>"
        "Ziekenhuis &lt;Noord&gt; &amp; partners</p>"
    ) in html
    assert "<img" not in html and mail.get_content_type() == "multipart/alternative"


def test_the_code_mail_is_from_the_organisation() -> None:
    assert str(_code()["From"]) == f"{NAME} <noreply@gateway.example>"


def test_the_notification_button_takes_the_accent() -> None:
    assert "background:#5a2d82;color:#fff" in _parts(_notification())[1]
    assert "background:#1f5f8b;color:#fff" in _parts(_notification(None))[1]


def test_without_support_or_footer_the_block_is_the_name() -> None:
    text, html = _parts(_notification(MailBrand()))
    assert text.endswith(f"\n-- \n{NAME}\n")
    assert f"<strong>{NAME}</strong></p>" in html

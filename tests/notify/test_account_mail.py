"""Invitation and reset mails: they name the organisation, the expiry and carry the link."""

from __future__ import annotations

from datetime import datetime

import pytest

from sealgate.locale import use_language
from sealgate.notify import compose_account_mail

LINK = "https://portal.example/account/" + "A" * 43
NOW = datetime(2026, 12, 3, 9, 0)


@pytest.mark.parametrize(
    "purpose, subject, words",
    [
        ("invite", "Hospital: set up your account for secure mail", "Set up your account"),
        ("reset", "Hospital: choose a new password", "Choose a new password"),
    ],
)
def test_account_mail(purpose: str, subject: str, words: str) -> None:
    mail = compose_account_mail(
        purpose=purpose,
        recipient="dora@clinic.example",
        display_name="Dora <Dekker>",
        org_name="Hospital",
        link=LINK,
        expires_at=datetime(2026, 12, 10, 9, 0),
        system_from="noreply@gateway.example",
        now=NOW,
    )
    assert mail["Subject"] == subject
    assert str(mail["From"]) == "Hospital <noreply@gateway.example>"
    assert mail["Auto-Submitted"] == "auto-generated" and mail["Message-ID"]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert LINK in text and f'href="{LINK}"' in html
    assert "10 December 2026, 09:00 UTC" in text and "10 December 2026, 09:00 UTC" in html
    assert "Dear Dora <Dekker>," in text and "Dora &lt;Dekker&gt;" in html
    assert words in html and "Hospital" in text


def test_a_non_ascii_address_gets_utf8_headers() -> None:
    mail = compose_account_mail(
        purpose="invite",
        recipient="zoë@clinic.example",
        display_name="",
        org_name="Zorg & Co",
        link=LINK,
        expires_at=NOW,
        system_from="noreply@gateway.example",
        now=NOW,
    )
    assert "zoë@clinic.example".encode() in mail.as_bytes()
    assert "Hello," in mail.get_body(preferencelist=("plain",)).get_content()


@pytest.mark.parametrize(
    "language, subject, expires, greeting",
    [
        (
            "nl",
            "Hospital: stel uw account voor beveiligde e-mail in",
            "10 december 2026, 09:00 UTC",
            "Beste Dora,",
        ),
        (
            "de",
            "Hospital: Richten Sie Ihr Konto für sichere E-Mail ein",
            "10. Dezember 2026, 09:00 UTC",
            "Guten Tag Dora,",
        ),
    ],
)
def test_the_mail_is_in_the_current_language(
    language: str, subject: str, expires: str, greeting: str
) -> None:
    """Subject, words and the month of the expiry all follow `use_language`."""
    with use_language(language):
        mail = compose_account_mail(
            purpose="invite",
            recipient="dora@clinic.example",
            display_name="Dora",
            org_name="Hospital",
            link=LINK,
            expires_at=datetime(2026, 12, 10, 9, 0),
            system_from="noreply@gateway.example",
            now=NOW,
        )
    assert mail["Subject"] == subject and mail["Content-Language"] == language
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert expires in text and greeting in text and "December 2026" not in text

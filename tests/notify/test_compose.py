"""Notifications and code mails in each language: the words, the markup, no injected HTML."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sealgate.notify import compose_code_mail, compose_notification

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
LINK = "https://portal.example/m/" + "A" * 43


def _notification(language: str | None, name: str = "Alice Arts"):
    return compose_notification(
        sender_name=name,
        sender_address="alice@hospital.example",
        recipient="bob@example.org",
        link=LINK,
        now=NOW,
        language=language,
    )


@pytest.mark.parametrize(
    ("language", "subject", "sentence", "button"),
    [
        (
            "en",
            "Secure message from Alice Arts",
            "sent you a secure message.",
            "Open the secure message",
        ),
        (
            "nl",
            "Beveiligd bericht van Alice Arts",
            "U heeft een beveiligd bericht ontvangen van Alice Arts <alice@hospital.example>.",
            "Beveiligd bericht openen",
        ),
        (
            "de",
            "Sichere Nachricht von Alice Arts",
            "Sie haben eine sichere Nachricht von Alice Arts <alice@hospital.example> erhalten.",
            "Sichere Nachricht öffnen",
        ),
        (
            None,
            "Secure message from Alice Arts",
            "sent you a secure message.",
            "Open the secure message",
        ),
    ],
)
def test_the_notification_in_each_language(
    language: str | None, subject: str, sentence: str, button: str
) -> None:
    mail = _notification(language)
    assert mail["Subject"] == subject
    assert mail["Content-Language"] == (language or "en")
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert sentence in " ".join(text.split())
    assert f'<html lang="{language or "en"}">' in html and button in html
    # The link stays whole on a line of its own; the other lines are wrapped for reading.
    assert f"\n{LINK}\n" in text
    assert max(len(line) for line in text.splitlines() if line != LINK) <= 72


def test_the_sender_name_is_escaped_in_every_language() -> None:
    for language in ("en", "nl", "de"):
        html = (
            _notification(language, name='Eve <img src=x onerror="steal()">')
            .get_body(("html",))
            .get_content()
        )
        assert "<img" not in html and "&lt;img src=x" in html


@pytest.mark.parametrize(
    ("language", "subject", "valid"),
    [
        ("en", "Your verification code: 123456", "The code is valid for 10 minutes."),
        ("nl", "Uw verificatiecode: 123456", "De code is 10 minuten geldig."),
        ("de", "Ihr Bestätigungscode: 123456", "Der Code ist 10 Minuten gültig."),
    ],
)
def test_the_code_mail_in_each_language(language: str, subject: str, valid: str) -> None:
    mail = compose_code_mail(
        recipient="bob@example.org",
        code="123456",
        sender_name="Alice Arts",
        sender_address="alice@hospital.example",
        system_from="noreply@gateway.example",
        ttl_minutes=10,
        now=NOW,
        language=language,
    )
    assert mail["Subject"] == subject
    text = " ".join(mail.get_body(("plain",)).get_content().split())
    html = mail.get_body(("html",)).get_content()
    assert valid in text and valid in " ".join(html.split())
    assert "Alice Arts &lt;alice@hospital.example&gt;" in html


def test_one_minute_is_singular() -> None:
    mail = compose_code_mail(
        recipient="bob@example.org",
        code="123456",
        sender_name="Alice Arts",
        sender_address="alice@hospital.example",
        system_from="noreply@gateway.example",
        ttl_minutes=1,
        now=NOW,
        language="nl",
    )
    assert "De code is 1 minuut geldig." in " ".join(
        mail.get_body(("plain",)).get_content().split()
    )

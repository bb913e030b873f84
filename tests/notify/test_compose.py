"""Notifications and code mails in each language: the words, the markup, no injected HTML."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from sealgate.notify import HowToOpen, compose_code_mail, compose_notification

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
LINK = "https://portal.example/m/" + "A" * 43


UNTIL = datetime(2027, 3, 3, 9, 0)  # naive UTC, as the database keeps it


def _notification(
    language: str | None,
    name: str = "Alice Arts",
    *,
    how: HowToOpen | None = None,
    subject: str | None = None,
    org: str = "Hospital Noord",
):
    return compose_notification(
        sender_name=name,
        sender_address="alice@hospital.example",
        recipient="bob@example.org",
        link=LINK,
        now=NOW,
        org_name=org,
        until=UNTIL,
        how=how,
        subject=subject,
        language=language,
    )


def _words(mail: EmailMessage) -> tuple[str, str]:
    """The text part and the HTML part, each with its whitespace made single spaces."""
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    return " ".join(text.split()), " ".join(html.split())


@pytest.mark.parametrize(
    ("language", "subject", "sentence", "button"),
    [
        (
            "en",
            "Secure message from Alice Arts (Hospital Noord)",
            "Alice Arts <alice@hospital.example> of Hospital Noord sent you a secure message.",
            "Open the secure message",
        ),
        (
            "nl",
            "Beveiligd bericht van Alice Arts (Hospital Noord)",
            "U heeft een beveiligd bericht ontvangen van Alice Arts <alice@hospital.example> van"
            " Hospital Noord.",
            "Beveiligd bericht openen",
        ),
        (
            "de",
            "Sichere Nachricht von Alice Arts (Hospital Noord)",
            "Sie haben eine sichere Nachricht von Alice Arts <alice@hospital.example> (Hospital"
            " Noord) erhalten.",
            "Sichere Nachricht öffnen",
        ),
        (
            None,
            "Secure message from Alice Arts (Hospital Noord)",
            "Alice Arts <alice@hospital.example> of Hospital Noord sent you a secure message.",
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


SMS = HowToOpen(proof="sms_code", phone="+31 6 \u2022\u2022\u2022 \u2022\u2022\u2022 12")
ACCESS = HowToOpen(proof="access_code", hint="the name of your first pet")

# Per proof and language: the sentence that says how to open the message, and the words no
# other proof's notification may use.
WORDINGS = {
    ("email_code", "en"): "you will get a code by email at this address.",
    ("email_code", "nl"): "ontvangt u een code per e-mail op dit adres.",
    ("email_code", "de"): "erhalten Sie einen Code per E-Mail an diese Adresse.",
    ("sms_code", "en"): "a code that you will get by SMS on your phone number +31 6 ••• ••• 12.",
    ("sms_code", "nl"): "een code in die u per sms ontvangt op uw telefoonnummer +31 6 ••• ••• 12.",
    (
        "sms_code",
        "de",
    ): "Code ein, den Sie per SMS an Ihre Telefonnummer +31 6 ••• ••• 12 erhalten.",
    ("access_code", "en"): "enter the access code agreed with the sender.",
    ("access_code", "nl"): "de toegangscode in die u met de afzender heeft afgesproken.",
    ("access_code", "de"): "den mit dem Absender vereinbarten Zugangscode ein.",
    ("account", "en"): "you log in to your account with Hospital Noord.",
    ("account", "nl"): "logt u in op uw account bij Hospital Noord.",
    ("account", "de"): "melden Sie sich bei Ihrem Konto bei Hospital Noord an.",
}
HOWS = {
    "email_code": HowToOpen(),
    "sms_code": SMS,
    "access_code": ACCESS,
    "account": HowToOpen(proof="account"),
}
UNTILS = {
    "en": "The link works until 3 March 2027, 09:00 UTC.",
    "nl": "De link is geldig tot 3 maart 2027, 09:00 UTC.",
    "de": "Der Link ist gültig bis 3. März 2027, 09:00 UTC.",
}


@pytest.mark.parametrize("language", ["en", "nl", "de"])
@pytest.mark.parametrize("proof", list(HOWS))
def test_each_method_has_its_own_words(proof: str, language: str) -> None:
    mail = _notification(language, how=HOWS[proof])
    assert mail["Sealgate-Proof"] == proof
    for part in _words(mail):
        assert WORDINGS[proof, language] in part
        for (other, other_language), words in WORDINGS.items():
            if other != proof and other_language == language:
                assert words not in part
        assert UNTILS[language] in part
        assert "Hospital Noord" in part and "alice@hospital.example" in part


def test_the_access_code_hint_is_shown_and_the_hint_only_for_access_codes() -> None:
    for language, hint in (("en", "Hint: "), ("nl", "Hint: "), ("de", "Hinweis: ")):
        for part in _words(_notification(language, how=ACCESS)):
            assert f"{hint}the name of your first pet" in part
    no_hint = HowToOpen(proof="access_code")
    assert all("Hint" not in part for part in _words(_notification("en", how=no_hint)))


def test_an_unknown_proof_is_worded_as_the_email_code() -> None:
    mail = _notification("en", how=HowToOpen(proof="carrier-pigeon"))
    assert mail["Sealgate-Proof"] == "email_code"
    assert all(WORDINGS["email_code", "en"] in part for part in _words(mail))


@pytest.mark.parametrize(
    ("language", "title", "line"),
    [
        ("en", "Secure message from Alice Arts (Hospital Noord): Your results", "Subject: "),
        ("nl", "Beveiligd bericht van Alice Arts (Hospital Noord): Your results", "Onderwerp: "),
        ("de", "Sichere Nachricht von Alice Arts (Hospital Noord): Your results", "Betreff: "),
    ],
)
def test_the_subject_only_when_given(language: str, title: str, line: str) -> None:
    shown = _notification(language, subject="Your results")
    assert shown["Subject"] == title
    assert all(f"{line}Your results" in part for part in _words(shown))
    hidden = _notification(language)
    assert "Your results" not in hidden.as_string()
    assert all(line not in part for part in _words(hidden))


def test_the_hint_subject_and_organisation_are_escaped() -> None:
    evil = '<img src=x onerror="steal()">'
    mail = _notification(
        "en", how=HowToOpen(proof="access_code", hint=evil), subject=evil, org=evil
    )
    html = mail.get_body(("html",)).get_content()
    assert "<img" not in html and html.count("&lt;img src=x") == 4  # org twice, subject, hint


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

"""The "new device" mail: the organisation, the time and the browser; no content, no link."""

from __future__ import annotations

from datetime import datetime

import pytest

from sealgate.notify import compose_device_mail

NOW = datetime(2026, 12, 3, 10, 15)


def _text(language: str, browser: str = "Firefox", system: str = "Windows") -> tuple[str, str]:
    mail = compose_device_mail(
        recipient="bob@example.org",
        org_name="Ziekenhuis Noord",
        browser=browser,
        system=system,
        days=30,
        system_from="noreply@gateway.example",
        now=NOW,
        language=language,
    )
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    assert mail["Content-Language"] == language
    assert "http" not in mail.as_string().split("\n\n", 1)[1].replace("http-equiv", "")
    return str(mail["Subject"]), " ".join(body.get_content().split())


@pytest.mark.parametrize(
    ("language", "subject", "sentence"),
    [
        ("en", "a new device can open", "On 3 December 2026, 10:15 UTC a browser was remembered"),
        ("nl", "een nieuw apparaat kan", "Op 3 december 2026, 10:15 UTC is een browser onthouden"),
        ("de", "Ein neues Gerät kann", "Am 3. Dezember 2026, 10:15 UTC wurde ein Browser"),
    ],
)
def test_device_mail_in_each_language(language: str, subject: str, sentence: str):
    title, text = _text(language)
    assert "Ziekenhuis Noord" in title and subject in title
    assert sentence in text and "Ziekenhuis Noord" in text and "bob@example.org" in text


def test_device_mail_names_an_unknown_browser():
    assert "a browser we do not recognise" in _text("en", "", "")[1]
    assert "Firefox op Windows" in _text("nl")[1]

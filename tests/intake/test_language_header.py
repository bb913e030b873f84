"""The `sealgate-language` header's grammar, and what intake keeps of it."""

from __future__ import annotations

import pytest

from sealgate.intake import (
    CONTROL_HEADER_NAMES,
    LANGUAGE_HEADER,
    ControlHeaderError,
    language_problem,
    parse_language,
    stored_language,
    strip_control_headers,
)
from sealgate.intake.language_header import CHOICES, with_language
from sealgate.locale import LANGUAGES
from sealgate.mail import parse_header_section


@pytest.mark.parametrize(
    ("values", "language"),
    [((), None), (("nl",), "nl"), ((" DE ",), "de"), (("en", "EN"), "en")],
)
def test_parse_language(values: tuple[str, ...], language: str | None) -> None:
    assert parse_language(values) == language


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        (("fr",), 'unknown language "fr": it must read nl|en|de.'),
        (("",), 'unknown language "": it must read nl|en|de.'),
        (("nl-NL",), 'unknown language "nl-NL"'),
        (("n\u00e9",), 'unknown language "n\\xe9"'),
        (("x" * 100,), '"' + "x" * 30 + '..."'),
        (("nl", "de"), "Two sealgate-language headers ask for different languages"),
    ],
)
def test_invalid_values_name_the_header(values: tuple[str, ...], problem: str) -> None:
    with pytest.raises(ControlHeaderError) as raised:
        parse_language(values)
    assert problem in str(raised.value)
    assert "sealgate-language" in str(raised.value) and str(raised.value).isascii()


def test_the_choices_are_the_languages_we_speak() -> None:
    assert sorted(CHOICES.split("|")) == sorted(LANGUAGES)


def test_the_header_is_a_control_header_and_is_stripped() -> None:
    assert LANGUAGE_HEADER in CONTROL_HEADER_NAMES
    raw = b"From: a@example.org\r\nSealgate-Language: nl\r\nSubject: x\r\n\r\nbody\r\n"
    assert strip_control_headers(raw) == b"From: a@example.org\r\nSubject: x\r\n\r\nbody\r\n"
    section = parse_header_section(raw)
    assert language_problem(section) == ""
    bad = parse_header_section(b"sealgate-language: xx\r\n\r\n")
    assert language_problem(bad).startswith("The sealgate-language header")


def test_what_intake_keeps() -> None:
    stored = with_language({"zivver-direct-delivery": []}, "de")
    assert stored == {"zivver-direct-delivery": [], "sealgate-language": "de"}
    assert stored_language(stored) == "de"
    assert with_language({}, None) == {}
    assert stored_language({}) is None
    assert stored_language({"sealgate-language": "xx"}) is None
    assert stored_language({"sealgate-language": ["nl"]}) is None

"""(pure) `sealgate-language: nl|en|de`: the language of one message's notifications and code
mails, in place of the organisation's default.

Like the zivver-* headers it is an instruction to the gateway: it is stripped before anything
is stored for reading or delivered (`control_headers.CONTROL_HEADER_NAMES`). Intake keeps the
parsed value in `messages.control_headers` under the header's name; route and the portal
read it back with `stored_language`. An invalid value fails the submission at end of DATA
(550 5.6.0) with a sentence naming the header; a repeated header is refused unless every
copy says the same, so a message never gets a language nobody chose.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sealgate.intake.control_headers import LANGUAGE, ControlHeaderError
from sealgate.locale import language_or_none
from sealgate.mail import HeaderSection

LANGUAGE_HEADER = LANGUAGE

# As SPEC.md writes it; tests/intake/test_language_header.py checks it names `LANGUAGES`.
CHOICES = "nl|en|de"


def _shown(text: str, limit: int = 30) -> str:
    """Text from the header, fit for an SMTP reply line: short and ASCII only."""
    short = text if len(text) <= limit else text[:limit] + "..."
    return short.encode("ascii", "backslashreplace").decode("ascii")


def parse_language(values: tuple[str, ...]) -> str | None:
    """The language the `sealgate-language` headers ask for (None: there is none).

    Case and surrounding blanks do not matter ("NL " is nl); anything else raises
    `ControlHeaderError`.
    """
    chosen: set[str] = set()
    for value in values:
        language = language_or_none(value)
        if language is None:
            raise ControlHeaderError(
                f'The {LANGUAGE} header has an unknown language "{_shown(value.strip())}": '
                f"it must read {CHOICES}."
            )
        chosen.add(language)
    if len(chosen) > 1:
        raise ControlHeaderError(
            f"Two {LANGUAGE} headers ask for different languages: give one header."
        )
    return chosen.pop() if chosen else None


def language_of(section: HeaderSection) -> str | None:
    """The language a message's top-level header section asks for (ControlHeaderError)."""
    return parse_language(section.values(LANGUAGE))


def language_problem(section: HeaderSection) -> str:
    """Why the `sealgate-language` header cannot be applied ("" when it can, or is absent)."""
    try:
        language_of(section)
    except ControlHeaderError as exc:
        return str(exc)
    return ""


def with_language(stored: dict[str, Any], language: str | None) -> dict[str, Any]:
    """`messages.control_headers` with the message's language, when it asked for one."""
    return {**stored, LANGUAGE: language} if language else stored


def stored_language(control_headers: Mapping[str, object]) -> str | None:
    """The language intake kept in `messages.control_headers`, if the message asked for one."""
    value = control_headers.get(LANGUAGE)
    return language_or_none(value) if isinstance(value, str) else None

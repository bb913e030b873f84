"""Dates in the language of the page or mail being made: month names from Babel's CLDR data.

`strftime` names the month in English whatever the reader's language; these do not. German
writes an ordinal day ("3. Dezember"), English and Dutch a plain one ("3 December").
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime

from sealgate.locale.current import current_language

_ORDINAL_DAY = {"de"}


def _day(language: str) -> str:
    return "d." if language in _ORDINAL_DAY else "d"


def long_when(moment: datetime) -> str:
    """A naive UTC time in full: 3 December 2026, 10:15 UTC; 3 december 2026, 10:15 UTC."""
    language = current_language()
    return format_datetime(moment, f"{_day(language)} MMMM y, HH:mm 'UTC'", locale=language)


def short_day(moment: datetime) -> str:
    """A day with the month abbreviated: 3 Dec 2026; 3 dec. 2026; 3. Dez. 2026."""
    language = current_language()
    return format_datetime(moment, f"{_day(language)} MMM y", locale=language)

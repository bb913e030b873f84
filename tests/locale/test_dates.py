"""Dates in the reader's language: the month named by CLDR, not by `strftime`."""

from __future__ import annotations

from datetime import datetime

import pytest

from sealgate.locale import use_language
from sealgate.locale.dates import long_when, short_day

MOMENT = datetime(2026, 3, 5, 9, 7)


@pytest.mark.parametrize(
    "language, long, short",
    [
        ("en", "5 March 2026, 09:07 UTC", "5 Mar 2026"),
        ("nl", "5 maart 2026, 09:07 UTC", "5 mrt 2026"),
        ("de", "5. März 2026, 09:07 UTC", "5. März 2026"),
    ],
)
def test_dates_name_the_month_in_the_language(language: str, long: str, short: str) -> None:
    with use_language(language):
        assert long_when(MOMENT) == long
        assert short_day(MOMENT) == short


def test_a_naive_time_is_read_as_utc_and_not_shifted() -> None:
    with use_language("en"):
        assert long_when(datetime(2026, 12, 31, 23, 59)) == "31 December 2026, 23:59 UTC"

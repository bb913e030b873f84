"""The `sealgate-expiry` header (SPEC.md "Extension headers") and the expiry grammar."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sealgate.intake import (
    ControlHeaderError,
    ExpiryError,
    expiry_at,
    parse_control_headers,
    parse_expiry,
    parse_expiry_days,
    parse_expiry_time,
    strip_control_headers,
)

NOW = datetime(2026, 12, 3, 10, 30)
RAW = (
    b"From: Alice Arts <alice@hospital.example>\r\n"
    b"Sealgate-Expiry: 30d\r\n"
    b"To: bob@clinic.example\r\n"
    b"sealgate-expiry:\r\n 2027-01-31\r\n"
    b"Subject: Results\r\n"
    b"\r\n"
    b"sealgate-expiry: 1d in the body is content\r\n"
)


def test_the_header_is_a_control_header_read_unfolded_and_stripped():
    assert parse_control_headers(RAW).expiry == ("30d", "2027-01-31")
    assert parse_control_headers(RAW).present
    assert strip_control_headers(RAW) == (
        b"From: Alice Arts <alice@hospital.example>\r\n"
        b"To: bob@clinic.example\r\n"
        b"Subject: Results\r\n"
        b"\r\n"
        b"sealgate-expiry: 1d in the body is content\r\n"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30d", NOW + timedelta(days=30)),
        (" 7D ", NOW + timedelta(days=7)),
        ("1 d", NOW + timedelta(days=1)),
        ("3650d", NOW + timedelta(days=3650)),
        # A date alone is 00:00 UTC at the start of that day.
        ("2027-01-31", datetime(2027, 1, 31)),
        ("2027-01-31T17:00:00", datetime(2027, 1, 31, 17)),
        ("2027-01-31T17:00:00+01:00", datetime(2027, 1, 31, 16)),
        ("2027-01-31T17:00:00Z", datetime(2027, 1, 31, 17)),
        ("2026-12-03T10:30:01", datetime(2026, 12, 3, 10, 30, 1)),
    ],
)
def test_valid_values(value, expected):
    assert parse_expiry((value,), NOW) == expected
    assert expiry_at(value, NOW) == expected


def test_no_header_means_no_expiry():
    assert parse_expiry((), NOW) is None


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        (("",), "is not an ISO 8601 date"),
        (("soon",), "is not an ISO 8601 date"),
        (("30 days",), "is not an ISO 8601 date"),
        (("0d",), "0 days is not between 1 and 3650"),
        (("3651d",), "3651 days is not between 1 and 3650"),
        (("-5d",), "is not an ISO 8601 date"),
        (("2027-02-30",), "is not an ISO 8601 date"),
        (("2027-01-31 \ufffd",), "is not an ISO 8601 date"),
        (("2026-12-03",), "2026-12-03T00:00:00Z lies in the past"),
        (("2026-12-03T10:30:00",), "lies in the past"),
        (("2026-12-03T11:00:00+01:00",), "2026-12-03T10:00:00Z lies in the past"),
        (("30d", "30d"), "only one sealgate-expiry header"),
    ],
)
def test_invalid_values_are_refused_with_a_sentence_naming_the_header(values, reason):
    with pytest.raises(ControlHeaderError) as refused:
        parse_expiry(values, NOW)
    sentence = str(refused.value)
    assert "sealgate-expiry header" in sentence and reason in sentence
    assert sentence.endswith(".") and sentence.isascii()


def test_the_cli_forms_apart():
    assert parse_expiry_days("30d") == 30
    assert parse_expiry_time("2027-01-31T17:00:00+01:00") == datetime(2027, 1, 31, 16)
    with pytest.raises(ExpiryError):
        parse_expiry_days("2027-01-31")
    with pytest.raises(ExpiryError):
        parse_expiry_time("30d")

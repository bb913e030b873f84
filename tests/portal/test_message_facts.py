"""The sender and date lines of the read page, as pure values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sealgate.portal.message_facts import SenderLine, sender_line, sent_at


@pytest.mark.parametrize(
    ("header", "expected_secondary"),
    [
        ('"Dr. A. Arts" <alice@hospital.example>', "Dr. A. Arts"),
        ("Alice Arts <alice@hospital.example>", ""),
        ('"alice arts" <alice@hospital.example>', ""),
        ("alice@hospital.example", ""),
        ("", ""),
        ("Your Bank <alice@hospital.example>", "Your Bank"),
    ],
)
def test_sender_is_the_account_and_a_different_header_name_is_secondary(
    header: str, expected_secondary: str
):
    line = sender_line("Alice Arts", "alice@hospital.example", header)
    assert line == SenderLine("Alice Arts <alice@hospital.example>", expected_secondary)


def test_sender_without_a_name_is_its_address():
    assert sender_line("", "org@hospital.example", "").shown == "org@hospital.example"


def test_date_sent_is_the_date_header_else_acceptance():
    accepted = datetime(2026, 12, 3, 11, 0, 0, 123456)
    header = sent_at("Wed, 02 Dec 2026 09:30:00 +0100", accepted)
    assert header == datetime(2026, 12, 2, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    assert sent_at("", accepted) == datetime(2026, 12, 3, 11, 0, tzinfo=UTC)
    assert sent_at("not a date", accepted) == datetime(2026, 12, 3, 11, 0, tzinfo=UTC)
    assert sent_at("", None) is None

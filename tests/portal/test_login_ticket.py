"""The login ticket cookie: signed, short-lived, and exactly what it says."""

from __future__ import annotations

import pytest

from sealgate.portal.login_ticket import LoginTicket, Stage, format_ticket, parse_ticket

KEY = b"k" * 32
RID = "0123456789abcdef0123456789abcdef"


def test_round_trip_and_next_page():
    ticket = LoginTicket(42, Stage.TOTP, 2_000, RID)
    value = format_ticket(KEY, ticket)
    assert len(value) <= 128
    assert parse_ticket(KEY, value, 1_999.0) == ticket
    assert ticket.next_page == f"/inbox/{RID}/read"
    plain = LoginTicket(42, Stage.ENROL, 2_000)
    assert parse_ticket(KEY, format_ticket(KEY, plain), 1_000.0) == plain
    assert plain.next_page == "/inbox"


@pytest.mark.parametrize(
    "change",
    ["expired", "other-key", "other-account", "other-stage", "junk", "empty", "bad-rid"],
)
def test_anything_else_is_no_ticket(change: str):
    value = format_ticket(KEY, LoginTicket(42, Stage.TOTP, 2_000, RID))
    key, now = KEY, 1_000.0
    if change == "expired":
        now = 2_000.0
    elif change == "other-key":
        key = b"x" * 32
    elif change == "other-account":
        value = "43" + value[2:]
    elif change == "other-stage":
        value = value.replace(".totp.", ".enrol.")
    elif change == "junk":
        value = "a.b.c.d.e"
    elif change == "empty":
        value = ""
    else:  # signed, but not one of our recipient ids
        value = format_ticket(KEY, LoginTicket(42, Stage.TOTP, 2_000, "Z" * 32))
    assert parse_ticket(key, value, now) is None

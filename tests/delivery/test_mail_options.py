"""MAIL FROM parameters of outbound mail and the one domain normaliser (issue 8 item 14)."""

from __future__ import annotations

import pytest

from sealgate.delivery.mail_options import mail_options
from sealgate.delivery.outcome import S_NO_UTF8, PermanentFailure
from sealgate.directory import claimable_domain as claimed_domain
from sealgate.mail import Address
from sealgate.mail.address import normalise_domain
from sealgate.transport.cache import _key as cache_key

UTF8_MAIL = "To: zoë@exämple.org\r\nSubject: x\r\n\r\nbody\r\n".encode()


def test_a_non_ascii_recipient_without_smtputf8_is_a_permanent_failure_that_says_why() -> None:
    """Issue 8 item 14: the next hop lacks SMTPUTF8: permanent, naming the address."""
    outcome = mail_options("alice@hospital.example", "zoë@exämple.org", UTF8_MAIL, lambda _: False)
    assert isinstance(outcome, PermanentFailure) and outcome.status == S_NO_UTF8
    assert "zoë@exämple.org" in outcome.text and "SMTPUTF8" in outcome.text


def test_smtputf8_and_8bitmime_when_offered() -> None:
    offered = {"smtputf8", "8bitmime"}.__contains__
    assert mail_options("a@b.example", "zoë@exämple.org", UTF8_MAIL, offered) == [
        "BODY=8BITMIME",
        "SMTPUTF8",
    ]
    # Raw UTF-8 only in the headers: SMTPUTF8 when offered, and no failure when not.
    assert mail_options("a@b.example", "bob@c.example", UTF8_MAIL, offered) == [
        "BODY=8BITMIME",
        "SMTPUTF8",
    ]
    assert mail_options("a@b.example", "bob@c.example", UTF8_MAIL, lambda _: False) == []
    assert mail_options("a@b.example", "bob@c.example", b"Subject: x\r\n\r\nx\r\n", offered) == []


@pytest.mark.parametrize("spelling", ["Exämple.ORG.", "exämple.org", "xn--exmple-cua.org"])
def test_one_normaliser_for_every_stage(spelling: str) -> None:
    """Issue 8 item 14: the domain is normalised the same way for claims, policy, the probe
    cache and MX look-ups: the lower-case A-label."""
    expected = "xn--exmple-cua.org"
    assert normalise_domain(spelling) == expected
    assert Address.parse(f"zoë@{spelling}").domain.ascii == expected
    assert claimed_domain(spelling) == expected
    assert cache_key(spelling) == expected


def test_not_a_domain_is_refused() -> None:
    for bad in ("", "a..b", "."):
        with pytest.raises(ValueError):
            normalise_domain(bad)

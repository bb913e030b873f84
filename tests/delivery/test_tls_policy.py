"""What each connection must prove (delivery/tls_policy.py), as a table (pure)."""

from __future__ import annotations

import pytest

from sealgate.delivery.tls_policy import (
    TlsMode,
    handshake_failed,
    host_mode,
    judge,
    relay_mode,
    without_starttls,
)
from sealgate.policy.requirement import Requirement
from sealgate.transport.dnssec import Dnssec
from sealgate.transport.grade import HostGrade
from sealgate.transport.levels import TransportLevel as L
from sealgate.transport.tlsa import TLSARecord

EE = TLSARecord(3, 1, 1, bytes(32))
PKIX_EE = TLSARecord(1, 1, 1, bytes(32))  # unusable for SMTP (RFC 7672 §3.1)
OPPORTUNISTIC = Requirement.opportunistic_dane()


@pytest.mark.parametrize(
    ("requirement", "dnssec", "tlsa", "mode"),
    [
        (Requirement(L.PKIX), Dnssec.SECURE, (EE,), TlsMode.LEVEL),
        (OPPORTUNISTIC, Dnssec.SECURE, (EE,), TlsMode.DANE),
        (OPPORTUNISTIC, Dnssec.SECURE, (PKIX_EE,), TlsMode.ENCRYPT),
        (OPPORTUNISTIC, Dnssec.SECURE, (), TlsMode.MAY),
        (OPPORTUNISTIC, Dnssec.INSECURE, (EE,), TlsMode.MAY),  # not DNSSEC: ignored
    ],
)
def test_the_mode_of_a_host(
    requirement: Requirement, dnssec: Dnssec, tlsa: tuple[TLSARecord, ...], mode: TlsMode
) -> None:
    assert host_mode(requirement, dnssec, tlsa) is mode


def test_the_relay_is_verified_only_with_relay_starttls() -> None:
    assert relay_mode(True) is TlsMode.VERIFY and relay_mode(False) is TlsMode.MAY


def test_only_may_goes_on_without_starttls() -> None:
    assert without_starttls(TlsMode.MAY, "mx") is None
    below = without_starttls(TlsMode.LEVEL, "mx")
    assert below is not None and below.below
    for mode, status in [
        (TlsMode.DANE, "4.7.5"),
        (TlsMode.ENCRYPT, "4.7.4"),
        (TlsMode.VERIFY, "4.7.4"),
    ]:
        refusal = without_starttls(mode, "mx")
        assert refusal is not None and not refusal.below and refusal.status == status


def test_a_failed_handshake_is_never_plaintext() -> None:
    none = HostGrade(L.NONE, None, ())
    refusal = handshake_failed(TlsMode.MAY, none, "mx", "TLS handshake failed: alert")
    assert refusal.status == "4.4.1" and "not sending in plaintext" in refusal.text
    assert handshake_failed(TlsMode.LEVEL, none, "mx", "x").below


@pytest.mark.parametrize(
    ("mode", "grade", "refused"),
    [
        (TlsMode.DANE, HostGrade(L.DANE, True, ("tls", "match")), False),
        (TlsMode.DANE, HostGrade(L.PKIX, True, ("tls", "match, insecure MX")), False),
        (TlsMode.DANE, HostGrade(L.NONE, False, ("tls", "matches nothing")), True),
        (TlsMode.MAY, HostGrade(L.TLS, None, ()), False),
        (TlsMode.ENCRYPT, HostGrade(L.TLS, None, ()), False),
    ],
)
def test_judging_a_tls_session(mode: TlsMode, grade: HostGrade, refused: bool) -> None:
    refusal = judge(mode, OPPORTUNISTIC, grade, "TLSv1.3", "mx")
    assert (refusal is not None) is refused
    if refusal is not None:
        assert refusal.status == "4.7.5"


def test_a_level_requirement_is_judged_on_the_graded_level() -> None:
    pkix = HostGrade(L.PKIX, None, ("certificate is valid",))
    assert judge(TlsMode.LEVEL, Requirement(L.PKIX), pkix, "TLSv1.2", "mx") is None
    below = judge(TlsMode.LEVEL, Requirement(L.DANE), pkix, "TLSv1.2", "mx")
    assert below is not None and below.below and below.observed == L.PKIX
    assert "proved PKIX" in below.text


def test_an_unverified_relay_is_refused() -> None:
    tls = HostGrade(L.TLS, None, ())
    problem = "certificate verify failed: self-signed certificate"
    refusal = judge(TlsMode.VERIFY, OPPORTUNISTIC, tls, "TLSv1.3", "relay", problem)
    assert refusal is not None and "certificate verify failed" in refusal.text
    assert judge(TlsMode.VERIFY, OPPORTUNISTIC, tls, "TLSv1.3", "relay", None) is None

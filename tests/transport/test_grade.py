"""The per-host grading rules (issue 4, "The rules"), one test per rule, over the MX lab's
real certificates: the evidence is what a probe would have seen, with the DNSSEC status and
TLSA records each rule needs."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sealgate.transport.dnssec import Dnssec
from sealgate.transport.grade import (
    HostEvidence,
    HostGrade,
    domain_level,
    grade_host,
    is_modern_tls,
)
from sealgate.transport.levels import TransportLevel
from sealgate.transport.pkix import pkix_problem
from sealgate.transport.starttls import TlsFacts
from sealgate.transport.tlsa import TLSARecord
from tests.lab.loopback import MX_FIRST
from tests.lab.mx_lab import MxLab, Posture, tlsa_text

SECURE, INSECURE = Dnssec.SECURE, Dnssec.INSECURE
NONE, TLS, PKIX, PANE, DANE = (
    TransportLevel.NONE,
    TransportLevel.TLS,
    TransportLevel.PKIX,
    TransportLevel.PANE,
    TransportLevel.DANE,
)
HOSTS = {
    "valid.example": Posture.VALID,
    "self.example": Posture.SELF_SIGNED,
    "expired.example": Posture.EXPIRED,
    "wrong.example": Posture.WRONG_NAME,
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MxLab]:
    # Its own addresses, so a module-scoped lab elsewhere in the run never collides.
    mx_lab = MxLab(tmp_path_factory.mktemp("grade-lab"), HOSTS, first=MX_FIRST + 20)
    yield mx_lab
    mx_lab.stop()


def evidence(
    lab: MxLab,
    host: str,
    *,
    tlsa: tuple[str, ...] = (),
    mx: Dnssec = SECURE,
    address: Dnssec = SECURE,
    tlsa_dnssec: Dnssec = SECURE,
    tls: TlsFacts | None = None,
) -> HostEvidence:
    """What a probe of `host` in the lab sees, with the DNS facts the test chooses."""
    server = lab.server(host)
    now = datetime.now(UTC)
    facts = tls or TlsFacts(True, True, "TLSv1.3", "TLS_AES_256_GCM_SHA384", server.chain_der, None)
    return HostEvidence(
        host=host,
        mx_dnssec=mx,
        address_dnssec=address,
        tlsa_dnssec=tlsa_dnssec,
        tlsa=tuple(TLSARecord.from_text(text) for text in tlsa),
        tls=facts,
        pkix_error=pkix_problem(facts.chain, host, ca_file=str(lab.ca_file), now=now),
        now=now,
    )


def ee(lab: MxLab, host: str, selector: int = 1, mtype: int = 1) -> str:
    leaf = lab.server(host).leaf_der
    assert leaf is not None
    return tlsa_text(3, selector, mtype, leaf)


def ta(lab: MxLab, selector: int = 0, mtype: int = 1) -> str:
    return tlsa_text(2, selector, mtype, lab.intermediate_der)


def other_key(lab: MxLab) -> str:
    """A well-formed record for a key no lab server has."""
    return tlsa_text(3, 1, 1, lab.root_der)


# -- TLS itself ---------------------------------------------------------------------------


def test_no_connection_is_none(lab: MxLab) -> None:
    facts = TlsFacts(False, False, None, None, (), "cannot connect: connection refused")
    grade = grade_host(evidence(lab, "valid.example", tls=facts))
    assert grade.level is NONE and grade.dane_match is None
    assert "connection refused" in grade.reasons[0]


def test_no_starttls_is_none(lab: MxLab) -> None:
    facts = TlsFacts(True, False, None, None, (), "server does not offer STARTTLS")
    assert grade_host(evidence(lab, "valid.example", tls=facts)).level is NONE


def test_tls_below_1_2_is_none(lab: MxLab) -> None:
    error = "no TLS 1.2 or newer: TLS handshake failed (tlsv1 alert protocol version)"
    refused = TlsFacts(True, True, None, None, (), error)
    grade = grade_host(evidence(lab, "valid.example", tls=refused))
    assert grade.level is NONE and "no TLS 1.2 or newer" in grade.reasons[0]
    server = lab.server("valid.example")
    old = TlsFacts(True, True, "TLSv1.1", "AES128-SHA", server.chain_der, None)
    assert grade_host(evidence(lab, "valid.example", tls=old)).level is NONE


def test_session_unusable_after_the_handshake_is_none(lab: MxLab) -> None:
    server = lab.server("valid.example")
    facts = TlsFacts(True, True, "TLSv1.3", "X", server.chain_der, "EHLO after STARTTLS failed")
    assert grade_host(evidence(lab, "valid.example", tls=facts)).level is NONE


@pytest.mark.parametrize(
    ("version", "modern"),
    [("TLSv1.3", True), ("TLSv1.2", True), ("TLSv1.1", False), ("TLSv1", False),
     ("SSLv3", False), ("DTLSv1.2", False), (None, False), ("TLSv2", True)],
)  # fmt: skip
def test_tls_floor_is_1_2(version: str | None, modern: bool) -> None:
    assert is_modern_tls(version) is modern


# -- fail closed on DNS -------------------------------------------------------------------


@pytest.mark.parametrize("status", [Dnssec.BOGUS, Dnssec.INDETERMINATE])
def test_tlsa_lookup_bogus_or_indeterminate_is_none(lab: MxLab, status: Dnssec) -> None:
    """It cannot be proven that there is no DANE, so not even PKIX counts (Postfix defers)."""
    grade = grade_host(evidence(lab, "valid.example", tlsa_dnssec=status))
    assert grade.level is NONE
    assert any(f"TLSA lookup for valid.example is {status}" in r for r in grade.reasons)


@pytest.mark.parametrize("status", [Dnssec.BOGUS, Dnssec.INDETERMINATE])
def test_mx_or_address_lookup_failure_is_none(lab: MxLab, status: Dnssec) -> None:
    assert grade_host(evidence(lab, "valid.example", mx=status)).level is NONE
    assert grade_host(evidence(lab, "valid.example", address=status)).level is NONE


# -- DANE (secure TLSA with usable records) -----------------------------------------------


def test_dane_ee_on_a_self_signed_leaf_is_dane_when_dnssec_secure(lab: MxLab) -> None:
    grade = grade_host(evidence(lab, "self.example", tlsa=(ee(lab, "self.example"),)))
    assert grade == HostGrade(DANE, True, grade.reasons)
    assert any("DANE-EE(3) matches the leaf" in reason for reason in grade.reasons)


@pytest.mark.parametrize("host", ["expired.example", "wrong.example"])
def test_dane_ee_ignores_names_and_expiry(lab: MxLab, host: str) -> None:
    assert grade_host(evidence(lab, host, tlsa=(ee(lab, host, 0, 2),))).level is DANE


def test_dane_ta_on_the_intermediate_is_dane(lab: MxLab) -> None:
    grade = grade_host(evidence(lab, "valid.example", tlsa=(ta(lab),)))
    assert (grade.level, grade.dane_match) == (DANE, True)
    assert any("DANE-TA(2) matches at depth 1" in reason for reason in grade.reasons)


def test_dane_ta_checks_the_mx_host_name(lab: MxLab) -> None:
    grade = grade_host(evidence(lab, "wrong.example", tlsa=(ta(lab, 1, 1),)))
    assert (grade.level, grade.dane_match) == (NONE, False)


def test_dane_ta_checks_the_leaf_dates(lab: MxLab) -> None:
    assert grade_host(evidence(lab, "expired.example", tlsa=(ta(lab),))).level is NONE


def test_secure_tlsa_that_matches_nothing_is_none_even_if_pkix_passes(lab: MxLab) -> None:
    found = evidence(lab, "valid.example", tlsa=(other_key(lab),))
    assert found.pkix_error is None
    grade = grade_host(found)
    assert (grade.level, grade.dane_match) == (NONE, False)
    assert "matches nothing" in grade.reasons[-1]


def test_one_matching_record_in_the_rrset_is_enough(lab: MxLab) -> None:
    records = (other_key(lab), ee(lab, "valid.example"))
    assert grade_host(evidence(lab, "valid.example", tlsa=records)).level is DANE


def test_insecure_mx_with_matching_secure_tlsa_reports_pkix(lab: MxLab) -> None:
    grade = grade_host(evidence(lab, "valid.example", mx=INSECURE, tlsa=(ta(lab),)))
    assert (grade.level, grade.dane_match) == (PKIX, True)


def test_insecure_mx_with_matching_secure_tlsa_reports_tls_when_pkix_fails(lab: MxLab) -> None:
    grade = grade_host(evidence(lab, "self.example", mx=INSECURE, tlsa=(ee(lab, "self.example"),)))
    assert (grade.level, grade.dane_match) == (TLS, True)


def test_insecure_mx_still_enforces_the_tlsa_match(lab: MxLab) -> None:
    grade = grade_host(evidence(lab, "valid.example", mx=INSECURE, tlsa=(other_key(lab),)))
    assert (grade.level, grade.dane_match) == (NONE, False)


def test_insecure_addresses_with_matching_secure_tlsa_are_not_dane(lab: MxLab) -> None:
    grade = grade_host(evidence(lab, "valid.example", address=INSECURE, tlsa=(ta(lab),)))
    assert (grade.level, grade.dane_match) == (PKIX, True)


def test_secure_tlsa_with_only_pkix_usages_counts_as_none(lab: MxLab) -> None:
    """RFC 7672 §3.1.3: PKIX-TA(0)/PKIX-EE(1) are unusable; TLS stays mandatory."""
    leaf = lab.server("self.example").leaf_der
    assert leaf is not None
    records = (tlsa_text(1, 1, 1, leaf), tlsa_text(0, 0, 1, lab.intermediate_der))
    grade = grade_host(evidence(lab, "self.example", tlsa=records))
    assert (grade.level, grade.dane_match) == (TLS, None)
    assert grade_host(evidence(lab, "valid.example", tlsa=records)).level is PANE


# -- no (usable, secure) TLSA: PKIX and PANE ----------------------------------------------


def test_valid_pkix_with_secure_mx_and_addresses_is_pane(lab: MxLab) -> None:
    grade = grade_host(evidence(lab, "valid.example"))
    assert (grade.level, grade.dane_match) == (PANE, None)


@pytest.mark.parametrize(
    ("mx", "address"), [(INSECURE, SECURE), (SECURE, INSECURE), (INSECURE, INSECURE)]
)
def test_valid_pkix_without_secure_dns_is_pkix(lab: MxLab, mx: Dnssec, address: Dnssec) -> None:
    grade = grade_host(evidence(lab, "valid.example", mx=mx, address=address, tlsa_dnssec=INSECURE))
    assert grade.level is PKIX


def test_insecure_tlsa_records_are_ignored(lab: MxLab) -> None:
    found = evidence(lab, "valid.example", tlsa=(other_key(lab),), tlsa_dnssec=INSECURE)
    grade = grade_host(found)
    assert (grade.level, grade.dane_match) == (PANE, None)
    assert any("not secure: ignored" in reason for reason in grade.reasons)


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("self.example", "self-signed certificate"),
        ("expired.example", "certificate has expired"),
        ("wrong.example", "certificate does not name wrong.example"),
    ],
)
def test_invalid_pkix_is_tls(lab: MxLab, host: str, problem: str) -> None:
    grade = grade_host(evidence(lab, host))
    assert grade.level is TLS
    assert f"certificate not trusted: {problem}" in grade.reasons


def test_grade_depends_on_the_evidence_only(lab: MxLab) -> None:
    found = evidence(lab, "valid.example", tlsa=(ta(lab),))
    assert grade_host(found) == grade_host(dataclasses.replace(found))


# -- the domain ---------------------------------------------------------------------------


def test_domain_level_is_the_weakest_host(lab: MxLab) -> None:
    grades = [
        grade_host(evidence(lab, "valid.example", tlsa=(ta(lab),))),
        grade_host(evidence(lab, "valid.example")),
        grade_host(evidence(lab, "self.example", tlsa=(ee(lab, "self.example"),))),
    ]
    assert [grade.level for grade in grades] == [DANE, PANE, DANE]
    assert domain_level(grades) is PANE
    assert domain_level([*grades, grade_host(evidence(lab, "expired.example"))]) is TLS


def test_domain_level_without_hosts_is_none() -> None:
    assert domain_level([]) is NONE

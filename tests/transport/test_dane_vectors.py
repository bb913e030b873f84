"""TLSA matching against OpenSSL's published DANE test vectors, read with SMTP's rules.

Source: OpenSSL 3.0, test/danetest.in (+ test/danetest.pem, the root) and test/dane-cross.in
(+ test/cross-root.pem), Apache-2.0, copied to tests/vectors/openssl-dane/. Reference
names as OpenSSL's test/recipes/80-test_dane.t passes them: example.com for danetest.in,
server.example for dane-cross.in.

OpenSSL's expectation is mapped to RFC 7672 (SMTP) as follows, for every case:
- Only PKIX-TA(0)/PKIX-EE(1) records (cases 23-42): unusable in SMTP, so "no usable records",
  whatever OpenSSL's PKIX verification said.
- OpenSSL verify result 0: a match at OpenSSL's match depth.
- Result 62 (hostname mismatch): a DANE-TA(2) match is refused for the name (cases 52-53).
  Case 54 expects 62 only because OpenSSL checks names for DANE-EE(3) unless told not to;
  RFC 7672 §3.1.1 says DANE-EE ignores names, so SMTP matches at depth 0 (as case 51 does).
- Result 65 (no match): not matched.
No case is skipped; any other result code fails the mapping test.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from sealgate.transport.dane import NO_USABLE_RECORDS, match_chain
from sealgate.transport.tlsa import Usage
from tests.transport.vectors import (
    BASE_DOMAINS,
    VECTORS,
    X509_V_ERR_DANE_NO_MATCH,
    X509_V_ERR_HOSTNAME_MISMATCH,
    X509_V_OK,
    VectorCase,
    load_cases,
)

pytestmark = pytest.mark.skipif(
    not VECTORS.is_dir(), reason=f"OpenSSL DANE vectors not found at {VECTORS}"
)
# Any moment inside the vectors' validity periods (2016 .. 2116); DANE-EE ignores dates anyway.
NOW = datetime(2026, 1, 1, tzinfo=UTC)
SMTP_USAGES = (Usage.DANE_TA, Usage.DANE_EE)


def _cases() -> list[VectorCase]:
    if not VECTORS.is_dir():
        return []
    return [case for source in BASE_DOMAINS for case in load_cases(VECTORS / source)]


def _expectation(case: VectorCase) -> tuple[bool, int | None, str]:
    """(matched, depth, words in the reason) that SMTP's rules give this OpenSSL case."""
    if not any(record.usage in SMTP_USAGES for record in case.records):
        return False, None, NO_USABLE_RECORDS
    if case.verify_result == X509_V_OK:
        return True, case.match_depth, "matches"
    if case.verify_result == X509_V_ERR_HOSTNAME_MISMATCH:
        if case.match_depth == 0 and all(r.usage == Usage.DANE_EE for r in case.records):
            return True, 0, "DANE-EE(3)"
        return False, None, "names none of"
    if case.verify_result == X509_V_ERR_DANE_NO_MATCH:
        return False, None, "no usable record matches"
    raise AssertionError(f"{case.name}: no SMTP mapping for OpenSSL result {case.verify_result}")


def test_every_case_is_read() -> None:
    counts = {source: len(load_cases(VECTORS / source)) for source in BASE_DOMAINS}
    assert counts == {"danetest.in": 54, "dane-cross.in": 1}


@pytest.mark.parametrize("case", _cases(), ids=lambda case: case.name)
def test_openssl_vector(case: VectorCase) -> None:
    matched, depth, reason = _expectation(case)
    name = BASE_DOMAINS[case.source]
    verdict = match_chain(case.records, list(case.chain), names=[name], now=NOW)
    assert (verdict.matched, verdict.depth) == (matched, depth), verdict.reason
    assert reason in verdict.reason
    usable = sum(record.usage in SMTP_USAGES for record in case.records)
    assert verdict.usable_records == usable
    assert (verdict.matched_record is not None) == matched


def test_pkix_cases_would_match_as_dane_usages() -> None:
    """The PKIX cases are not vacuous: relabelled DANE-EE/DANE-TA, OpenSSL's depth comes out."""
    relabelled = 0
    for case in _cases():
        if case.verify_result != X509_V_OK or any(r.usage in SMTP_USAGES for r in case.records):
            continue
        # Case 39 supplies an intermediate in DNS for PKIX, cases 34-35 find the root in
        # OpenSSL's trust store (danetest.pem): as DANE-TA digests they have nothing to match.
        if case.number == 39 or case.match_depth >= len(case.chain):
            continue
        dane_usage = {Usage.PKIX_EE: Usage.DANE_EE, Usage.PKIX_TA: Usage.DANE_TA}
        records = [replace(r, usage=dane_usage[Usage(r.usage)]) for r in case.records]
        verdict = match_chain(records, list(case.chain), names=["example.com"], now=NOW)
        assert (verdict.matched, verdict.depth) == (True, case.match_depth), case.name
        relabelled += 1
    assert relabelled == 13
